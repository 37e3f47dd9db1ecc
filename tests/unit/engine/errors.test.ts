import { describe, expect, it } from 'vitest';
import {
  CancelledError, deserializeEngineError, ModelFormatError, NoBackendError, serializeEngineError, StorageFullError,
} from '../../../src/engine/errors';
import { ManifestError } from '../../../src/store/errors';

describe('error transport', () => {
  it('round-trips engine errors through structuredClone as the same class', () => {
    const e = new NoBackendError('No WebGPU and no WebAssembly: use a current Chrome, Edge or Firefox.', { webgpu: false });
    const back = deserializeEngineError(structuredClone(serializeEngineError(e)));
    expect(back).toBeInstanceOf(NoBackendError);
    expect(back.name).toBe('NoBackendError');
    expect(back.message).toBe(e.message);
    expect((back as NoBackendError).details).toEqual({ webgpu: false });
    expect(deserializeEngineError(serializeEngineError(new CancelledError()))).toBeInstanceOf(CancelledError);
    expect(deserializeEngineError(serializeEngineError(new ModelFormatError('x', { input: 'latent' })))).toBeInstanceOf(ModelFormatError);
  });

  it('carries store errors with their fields', () => {
    const m = new ManifestError('video.width', 'manifest.video.width is missing');
    const back = deserializeEngineError(structuredClone(serializeEngineError(m))) as ManifestError;
    expect(back).toBeInstanceOf(ManifestError);
    expect(back.field).toBe('video.width');
    const s = new StorageFullError(100, 10, [{ name: 'a', bytes: 1 }]);
    const sb = deserializeEngineError(structuredClone(serializeEngineError(s))) as StorageFullError;
    expect(sb).toBeInstanceOf(StorageFullError);
    expect(sb.neededBytes).toBe(100);
    expect(sb.message).toMatch(/storage is full/i);
  });

  it('unknown errors become plain Errors with their message', () => {
    const back = deserializeEngineError(serializeEngineError(new TypeError('boom')));
    expect(back.name).toBe('TypeError');
    expect(back.message).toBe('boom');
    expect(deserializeEngineError(serializeEngineError('a string')).message).toBe('a string');
  });
});
