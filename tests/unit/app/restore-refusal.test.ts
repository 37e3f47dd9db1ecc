import { describe, expect, it } from 'vitest';
import { restoreRefusal } from '../../../src/app/data/restore-refusal';
import { SettingsError } from '../../../src/media/errors';
import { restoreSettings } from '../../../src/media/restore';

/** What the real reader throws for these bytes dropped as `name`. */
async function refusalFor(bytes: Uint8Array<ArrayBuffer>, name: string): Promise<string> {
  const error = await restoreSettings(new File([bytes], name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${name} was read as a Vidlet export`).toBeInstanceOf(Error);
  return restoreRefusal(name, error);
}

// A 1×1 GIF with no comment block (the smallest valid GIF89a): a real GIF, but no Vidlet export.
const FOREIGN_GIF: Uint8Array<ArrayBuffer> = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (c) => c.charCodeAt(0));

describe('the message for a dropped file that gives no settings', () => {
  it('names the file once, says why and what to drop instead', async () => {
    expect(await refusalFor(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 'notes.bin')).toBe(
      'No settings restored from "notes.bin": it is not an MP4, WebM, GIF or zip, so it cannot hold Vidlet settings.' +
        ' Drop an MP4, WebM, GIF or PNG zip exported by Vidlet to restore its settings. Your current settings are unchanged.',
    );
  });

  it('for a real GIF that Vidlet did not make, names the file the reader did not', async () => {
    expect(await refusalFor(FOREIGN_GIF, 'cat.gif')).toBe(
      'No settings restored from "cat.gif": this GIF was not made by Vidlet: it has no Vidlet settings comment, so there is nothing to restore.' +
        ' Drop an MP4, WebM, GIF or PNG zip exported by Vidlet to restore its settings. Your current settings are unchanged.',
    );
  });

  it('keeps the reader\'s own advice for damaged or newer settings, without sending the user to another file', () => {
    const text = restoreRefusal('clip.webm', new SettingsError('settings version 9 is newer than this app (it reads version 1): update Vidlet to restore this clip.'));
    expect(text).toBe(
      'No settings restored from "clip.webm": settings version 9 is newer than this app (it reads version 1): update Vidlet to restore this clip. Your current settings are unchanged.',
    );
  });

  it('ends a reason without a full stop with one, and takes non-errors', () => {
    expect(restoreRefusal('a.zip', 'unreadable')).toBe('No settings restored from "a.zip": unreadable. Your current settings are unchanged.');
  });
});
