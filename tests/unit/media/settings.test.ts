import { describe, expect, it } from 'vitest';
import type { GenerateResult } from '../../../src/engine/types';
import { SettingsError } from '../../../src/media/errors';
import { parseSettings, serializeSettings, settingsFromResult, versionFor } from '../../../src/media/settings';
import { clipSettings, quadrantClip } from './fixtures';

const base = clipSettings(quadrantClip(4, 4, 2), 8);

describe('settings record', () => {
  it('round-trips through its JSON text, non-ASCII prompt included, as 7-bit text', () => {
    const text = serializeSettings(base);
    expect(/^[\x00-\x7f]*$/.test(text)).toBe(true);
    expect(parseSettings(text)).toEqual(base);
  });

  it('is built from a GenerateResult', () => {
    const video = quadrantClip(6, 4, 3);
    const result = {
      request: { prompt: 'p', seed: 9, steps: 12, guidance: 4.5, innerGuidance: 0, sampler: 'heun' },
      model: 'm', variant: 'int8', backend: 'webgpu', fps: 12, video,
      timings: { textEncoderMs: 0, denoiseMs: 0, stepMs: 0, decodeMs: 0, totalMs: 0 }, unknownWords: [],
    } as GenerateResult;
    const s = settingsFromResult(result, new Date('2026-01-02T03:04:05Z'));
    expect(s).toMatchObject({ prompt: 'p', negativePrompt: '', seed: 9, sampler: 'heun', variant: 'int8', fps: 12, frames: 3, width: 6, height: 4 });
    expect(s.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(parseSettings(s)).toEqual(s);
  });

  it('keeps shape emphasis (contrast) when the request had it, and checks its range', () => {
    const withContrast = { ...base, contrast: 2.5 };
    expect(parseSettings(serializeSettings(withContrast))).toEqual(withContrast);
    expect(parseSettings(base).contrast).toBeUndefined(); // files from before it: made without it
    expect(() => parseSettings({ ...base, contrast: 31 })).toThrow(/"contrast" should be a number from 0 to 30/);
    const result = {
      request: { prompt: 'p', seed: 9, steps: 12, guidance: 4.5, innerGuidance: 0, contrast: 2, sampler: 'heun' },
      model: 'm', variant: 'int8', backend: 'webgpu', fps: 12, video: quadrantClip(6, 4, 3),
      timings: { textEncoderMs: 0, denoiseMs: 0, stepMs: 0, decodeMs: 0, totalMs: 0 }, unknownWords: [],
    } as GenerateResult;
    expect(settingsFromResult(result).contrast).toBe(2);
  });

  it('rejects another app, naming it', () => {
    expect(() => parseSettings({ ...base, app: 'sora' })).toThrow(/written by "sora", not by Vidlet/);
    expect(() => parseSettings({ ...base, app: undefined })).toThrow(SettingsError);
  });

  it('rejects a newer version with the message the UI shows', () => {
    expect(() => parseSettings(JSON.stringify({ ...base, version: 3 }))).toThrow('settings version 3 is newer than this app (it reads version 2)');
  });

  // #10: version 2 adds the scene plan and what the cut detector found; version 1 still reads.
  const plan = [{ text: 'a red ball', frames: 16 }, { text: 'a yellow star', frames: 24 }];
  const check = { asked: 2, found: 2, cuts: [16] };

  it('keeps a scene plan and its scene check through version 2, and writes version 1 without them', () => {
    const v2 = { ...base, version: 2 as const, scenes: plan, sceneCheck: check };
    expect(parseSettings(serializeSettings(v2))).toEqual(v2);
    expect(versionFor(v2)).toBe(2);
    expect(versionFor(base)).toBe(1);
    expect(parseSettings(serializeSettings(base)).version).toBe(1);
  });

  it('refuses scenes in a version 1 record, and bad plans by field', () => {
    expect(() => parseSettings({ ...base, scenes: plan })).toThrow(/version 1 cannot hold scenes/);
    expect(() => parseSettings({ ...base, version: 2, scenes: [] })).toThrow(/"scenes" should be a list of 1 to 3 scenes/);
    expect(() => parseSettings({ ...base, version: 2, scenes: [{ text: 'a', frames: 4 }] })).toThrow(/"scenes\[0\]\.frames" should be/);
    expect(() => parseSettings({ ...base, version: 2, scenes: [{ frames: 16 }] })).toThrow(/"scenes\[0\]\.text" should be a string/);
    expect(() => parseSettings({ ...base, version: 2, sceneCheck: { asked: 2, found: 0, cuts: [] } })).toThrow(/"sceneCheck\.found"/);
    expect(() => parseSettings({ ...base, version: 2, sceneCheck: { asked: 2, found: 2, cuts: [0] } })).toThrow(/"sceneCheck\.cuts"/);
  });

  it('rejects broken JSON, non-objects and bad versions', () => {
    expect(() => parseSettings('{"app":')).toThrow(/not valid JSON/);
    expect(() => parseSettings('[1]')).toThrow(/not a JSON object/);
    expect(() => parseSettings({ ...base, version: 0 })).toThrow(/not a positive integer/);
    expect(() => parseSettings({ ...base, version: '1' })).toThrow(SettingsError);
  });

  it.each([
    ['seed', 1.5], ['steps', 0], ['guidance', 'high'], ['sampler', 'ddim'], ['variant', 'fp8'],
    ['backend', 'cuda'], ['fps', 0], ['width', -1], ['createdAt', 'yesterday'], ['prompt', 3],
  ])('names the bad field %s', (field, value) => {
    expect(() => parseSettings({ ...base, [field]: value })).toThrow(new RegExp(`"${field}"`));
  });

  it('names a missing field', () => {
    const { seed: _seed, ...rest } = base;
    expect(() => parseSettings(rest)).toThrow(/"seed" should be a whole number from 0 to 4294967295 but is missing/);
  });

  it('refuses to serialise an invalid record', () => {
    expect(() => serializeSettings({ ...base, steps: -3 })).toThrow(SettingsError);
  });
});
