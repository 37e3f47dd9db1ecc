/**
 * What a StorageFullError says (#13 "storage fills up during a download → a message saying how much
 * is needed and what to free, and history untouched"): the bytes needed, how much to free when the
 * browser's estimate is believable, and what can be freed, never that anything was deleted.
 */
import { describe, expect, it } from 'vitest';
import { StorageFullError } from '../../../src/store/errors';
import { toUserError } from '../../../src/app/data/user-error';

const MiB = 2 ** 20;

describe('StorageFullError message', () => {
  it('the estimate shows too little room: how much is needed, how much to free, and what (models with sizes, History, disk)', () => {
    const e = new StorageFullError(23.2 * MiB, 5 * MiB, [{ name: 'wan-1-3b', bytes: 1.5 * 2 ** 30 }], 'text_encoder.int8.onnx');
    expect(e.message).toBe(
      "Browser storage is full: the model's file text_encoder.int8.onnx needs 23.2 MiB more, but 5.0 MiB are free: make room for at least 18.2 MiB. " +
        'To make room, delete a cached model you no longer need (wan-1-3b: 1.5 GiB); or delete clips you no longer need from History; ' +
        'or free disk space or allow this site more storage (site settings). Then try again: the files already stored are kept, and so is your History.',
    );
  });

  it('the estimate claims room the browser then refused: says so instead of "10 GiB are free" alone', () => {
    const e = new StorageFullError(23.2 * MiB, 10 * 2 ** 30, [], 'text_encoder.int8.onnx');
    expect(e.message).toMatch(/needs 23\.2 MiB more, and the browser refused to store it although it reports 10\.0 GiB free for this site\. To make room, delete clips you no longer need from History; or free disk space/);
    expect(e.message).not.toMatch(/cached model you no longer need/);
  });

  it('no estimate at all', () => {
    expect(new StorageFullError(MiB, null, []).message).toMatch(/^Browser storage is full: the model needs 1\.0 MiB more, and the browser does not say how much is free\./);
  });

  it('the page adds a title and an action that says nothing was deleted', () => {
    const u = toUserError(new StorageFullError(MiB, 0, []));
    expect(u.title).toBe('Not enough storage for the model');
    expect(u.action).toMatch(/nothing was deleted: your History is kept/);
  });
});
