/** `vidlet generate --preset NAME` (src/cli/args.ts, src/cli/generate.ts): passed to the request, refused by name before any step. */
import { describe, expect, it } from 'vitest';
import { parseCli, type GenerateOptions } from '../../../src/cli/args';
import { buildRequest, presetRefusal } from '../../../src/cli/generate';
import type { ModelInfo } from '../../../src/engine/types';

const info = {
  name: 'wan-tiny',
  video: { frames: 9, height: 32, width: 32, fps: 16 },
  defaults: { steps: 4, guidance: 5, innerGuidance: 0, contrast: 0, sampler: 'euler' },
  presets: [
    { name: '9x32x32', video: { frames: 9, height: 32, width: 32 } },
    { name: 'big', label: 'larger', video: { frames: 13, height: 48, width: 64 } },
  ],
  defaultPreset: '9x32x32',
} as unknown as ModelInfo;

describe('vidlet --preset', () => {
  it('puts the named preset in the request, and none when the flag is left out', () => {
    const o = parseCli(['generate', '--prompt', 'p', '--preset', 'big']) as GenerateOptions;
    expect(o.preset).toBe('big');
    expect(buildRequest(o, info, () => 1).preset).toBe('big');
    const plain = parseCli(['generate', '--prompt', 'p']) as GenerateOptions;
    expect('preset' in plain).toBe(false);
    expect('preset' in buildRequest(plain, info, () => 1)).toBe(false);
  });

  it('refuses a name the model does not have, listing its presets', () => {
    expect(presetRefusal(undefined, info)).toBeUndefined();
    expect(presetRefusal('big', info)).toBeUndefined();
    expect(presetRefusal('huge', info)).toBe('--preset huge: wan-tiny has no such preset; it has 9x32x32: 9 frames of 32×32; larger: 13 frames of 64×48.');
  });

  it('refuses any name on a model without presets', () => {
    expect(presetRefusal('big', { ...info, presets: undefined })).toBe(
      '--preset big: wan-tiny has no size presets; it makes 9 frames of 32×32 only. Leave --preset out.',
    );
  });

  it('needs a value', () => {
    expect(() => parseCli(['generate', '--prompt', 'p', '--preset'])).toThrow(/--preset/);
  });
});
