import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { NotVidletError, SettingsError, UnsupportedFormatError } from '../../../src/media/errors';
import { encodeClip } from '../../../src/media/encode';
import { restoreSettings } from '../../../src/media/restore';
import { SETTINGS_VERSION } from '../../../src/media/settings';
import { muxVideo } from '../../../src/media/video-container';
import { encodeAvcNode } from '../../../src/media/video-node';
import { encodeRgbaPng } from '../../../src/media/png';
import { clipSettings, quadrantClip } from './fixtures';

const video = quadrantClip(16, 12, 4);
const settings = clipSettings(video, 8);

describe('restoreSettings', () => {
  it.each(['gif', 'zip', 'mp4', 'webm'] as const)('restores %s exports from bytes, ArrayBuffer and File', async (format) => {
    const bytes = await encodeClip(video, 8, settings, format);
    expect(await restoreSettings(bytes)).toEqual({ format, settings });
    expect((await restoreSettings(bytes.slice().buffer)).settings).toEqual(settings);
    // the name lies on purpose: the magic bytes decide
    const file = new File([bytes], 'clip.txt', { type: 'text/plain' });
    expect(await restoreSettings(file)).toEqual({ format, settings });
  });

  it('refuses files that are none of the four formats', async () => {
    const png = encodeRgbaPng(new Uint8Array(16), 2, 2);
    await expect(restoreSettings(png)).rejects.toThrow(UnsupportedFormatError);
    await expect(restoreSettings(new File([new Uint8Array(png)], 'x.png'))).rejects.toThrow('"x.png" is not an MP4, WebM, GIF or zip');
    await expect(restoreSettings(new Uint8Array(0))).rejects.toThrow(UnsupportedFormatError);
  });

  it('says a foreign GIF was not made by Vidlet', async () => {
    // A minimal valid GIF89a (1×1, one frame) written by hand, with no comment.
    const gif = Uint8Array.from([
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
      0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b,
    ]);
    await expect(restoreSettings(gif)).rejects.toThrow(new NotVidletError('this GIF was not made by Vidlet: it has no Vidlet settings comment, so there is nothing to restore.'));
  });

  it('says a damaged GIF could not be read', async () => {
    const bytes = await encodeClip(video, 8, settings, 'gif');
    await expect(restoreSettings(bytes.subarray(0, 100))).rejects.toThrow(/this GIF could not be read.*truncated/);
  });

  it('refuses settings from a newer version or another app, in any container', async () => {
    const newer = zipSync({ 'settings.json': strToU8(JSON.stringify({ ...settings, version: SETTINGS_VERSION + 1 })) });
    await expect(restoreSettings(newer)).rejects.toThrow(new SettingsError(
      `settings version ${SETTINGS_VERSION + 1} is newer than this app (it reads version ${SETTINGS_VERSION}): update Vidlet to restore this clip.`));
    const other = zipSync({ 'settings.json': strToU8(JSON.stringify({ ...settings, app: 'otherapp' })) });
    await expect(restoreSettings(other)).rejects.toThrow(/written by "otherapp"/);
  });

  it('says a zip or MP4 without settings was not made by Vidlet', async () => {
    const zip = zipSync({ 'frame-0001.png': encodeRgbaPng(new Uint8Array(16), 2, 2) });
    await expect(restoreSettings(zip)).rejects.toThrow('this zip was not made by Vidlet');
    // The same packets muxed once with our record (restores) and once with a foreign comment (refused).
    const encoded = await encodeAvcNode(video, 8);
    expect((await restoreSettings(await muxVideo('mp4', encoded, 8, settings))).format).toBe('mp4');
    const { Output, Mp4OutputFormat, BufferTarget, EncodedVideoPacketSource } = await import('mediabunny');
    const out = new Output({ format: new Mp4OutputFormat(), target: new BufferTarget() });
    out.setMetadataTags({ comment: 'shot on a phone' });
    const src = new EncodedVideoPacketSource('avc');
    out.addVideoTrack(src, { frameRate: 8 });
    await out.start();
    for (const [i, p] of encoded.packets.entries()) await src.add(p, i === 0 ? { decoderConfig: encoded.decoderConfig } : undefined);
    await out.finalize();
    await expect(restoreSettings(new Uint8Array(out.target.buffer!))).rejects.toThrow('this MP4 was not made by Vidlet');
  });
});
