import { describe, expect, it } from 'vitest';
import { CancelledError, DeviceLostError } from '../../../src/engine/errors';
import { isCancellation, toUserError } from '../../../src/app/data/user-error';
import { deserializeError, serializeError } from '../../../src/worker/error-transport';

describe('user-facing errors', () => {
  it('gives known errors a title and an action, keeping the engine message as detail', () => {
    const e = toUserError(new DeviceLostError('The GPU device was lost during step 3.'));
    expect(e.title).toMatch(/device was lost/i);
    expect(e.detail).toBe('The GPU device was lost during step 3.');
    expect(e.action).toMatch(/GPU memory/i);
  });

  it('falls back for unknown errors and non-errors', () => {
    expect(toUserError(new TypeError('x is undefined')).title).toBe('Something went wrong');
    expect(toUserError('plain text').detail).toBe('plain text');
  });

  it('an error crossing the worker boundary keeps its class, name and fields', () => {
    const wire = structuredClone(serializeError(new CancelledError()));
    const back = deserializeError(wire);
    expect(back).toBeInstanceOf(CancelledError);
    expect(isCancellation(back)).toBe(true);
    const plain = deserializeError(structuredClone(serializeError(Object.assign(new Error('bad'), { field: 'video.width' }))));
    expect(plain.message).toBe('bad');
    expect((plain as Error & { field?: string }).field).toBe('video.width');
  });
});
