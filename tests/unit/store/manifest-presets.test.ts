/**
 * The optional `presets` section (src/store/manifest-presets.ts against src/package/presets.ts): clip
 * sizes a request may name, checked against the VAE's factors, the denoiser's patch, the manifest's own
 * size and the decoders that must make each.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { latentSize, presetSize } from '../../../src/package/presets';
import { parseManifest } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const converted = JSON.parse(readFileSync('tests/fixtures/wan-tiny/manifest.json', 'utf8'));

/** vidlet-tiny's numbers (16 frames of 128², latent 4×16×16: 4 frames and 8 pixels per latent pixel) with two presets. */
function withPresets(): Record<string, any> {
  const m = validManifest();
  m.presets = {
    default: 'square',
    factors: { time: 4, space: 8, causal: false },
    patch: { frames: 1, height: 2, width: 2 },
    sizes: [
      { name: 'square', frames: 16, height: 128, width: 128, attentionScoresBytes: 1234 },
      { name: 'wide', label: 'wide, slower', frames: 16, height: 128, width: 256 },
    ],
  };
  return m;
}

describe('manifest presets', () => {
  it('is optional: a package without it offers its one size', () => {
    const m = parseManifest(validManifest());
    expect(m.presets).toBeUndefined();
    expect(presetSize(m, undefined)).toEqual({ video: { frames: 16, height: 128, width: 128 }, latent: { frames: 4, height: 16, width: 16 } });
    expect(presetSize(m, 'wide')).toMatch(/has no size presets: it makes 16×128×128 \(frames × height × width\) clips only/);
  });

  it('reads each preset with its latent computed from the factors', () => {
    const p = parseManifest(withPresets()).presets!;
    expect(p.default).toBe('square');
    expect(p.sizes.map((s) => [s.name, s.latent])).toEqual([
      ['square', { frames: 4, height: 16, width: 16 }],
      ['wide', { frames: 4, height: 16, width: 32 }],
    ]);
    expect(p.sizes[0]!.attentionScoresBytes).toBe(1234);
    expect(p.sizes[1]!.label).toBe('wide, slower');
  });

  it('gives a request its preset’s size, the default when it names none, and names the presets when it names another', () => {
    const m = parseManifest(withPresets());
    expect(presetSize(m, undefined)).toMatchObject({ preset: 'square', latent: { frames: 4, height: 16, width: 16 }, attentionScoresBytes: 1234 });
    expect(presetSize(m, 'wide')).toEqual({ preset: 'wide', video: { frames: 16, height: 128, width: 256 }, latent: { frames: 4, height: 16, width: 32 } });
    expect(presetSize(m, 'huge')).toBe('is "huge", but vidlet-tiny\'s presets are square, wide');
  });

  it('causal factors: the first frame alone, then `time` per latent frame (Wan)', () => {
    const f = { time: 4, space: 8, causal: true };
    expect(latentSize({ frames: 33, height: 240, width: 416 }, f)).toEqual({ frames: 9, height: 30, width: 52 });
    expect(latentSize({ frames: 32, height: 240, width: 416 }, f)).toMatch(/has 32 frames, but the VAE makes 4k \+ 1 frames/);
  });

  it('accepts presets of other lengths where a frame pair decodes them (the converted tiny Wan package)', () => {
    const m = structuredClone(converted);
    m.presets = {
      default: '9x32x32', factors: { time: 4, space: 8, causal: true }, patch: { frames: 1, height: 2, width: 2 },
      sizes: [{ name: '9x32x32', frames: 9, height: 32, width: 32, attentionScoresBytes: 2304 }, { name: 'long', frames: 17, height: 48, width: 64 }],
    };
    expect(parseManifest(m).presets!.sizes[1]!.latent).toEqual({ frames: 5, height: 6, width: 8 });
  });

  it.each([
    ['a default no preset names', (m: any) => (m.presets.default = 'tall'), /manifest\.presets\.default is "tall", but no preset in presets\.sizes has that name \(square, wide\)/],
    ['two presets of one name', (m: any) => (m.presets.sizes[1].name = 'square'), /manifest\.presets\.sizes\[1\]\.name is "square", which an earlier preset already uses/],
    ['a name with a space', (m: any) => (m.presets.sizes[1].name = 'very wide'), /manifest\.presets\.sizes\[1\]\.name is "very wide", but a preset name is 1–40 letters/],
    ['frames the VAE cannot make', (m: any) => (m.presets.sizes[1].frames = 18), /manifest\.presets\.sizes\[1\] has 18 frames, but the VAE makes 4k frames \(4 per latent frame\) \(presets\.factors\)/],
    ['a width the VAE cannot make', (m: any) => (m.presets.sizes[1].width = 250), /manifest\.presets\.sizes\[1\] is 250×128, but the VAE makes multiples of 8 pixels/],
    ['a latent the patch does not divide', (m: any) => (m.presets.sizes[1].width = 136), /manifest\.presets\.sizes\[1\] has latent 4×16×17 .* so its width must be a multiple of it/],
    ['a default other than the manifest’s size', (m: any) => (m.presets.default = 'wide'), /manifest\.presets\.default names 16×128×256 .* but the manifest's video is 16×128×128/],
    ['factors that miss the manifest’s latent', (m: any) => (m.presets.factors.space = 4) && (m.presets.patch.width = 1), /manifest\.presets\.factors turn the default preset's video into latent 4×32×32, but the manifest's latent is 4×16×16/],
    ['another length without a frame pair', (m: any) => (m.presets.sizes[1].frames = 32), /manifest\.presets\.sizes\[1\] has 8 latent frames, but the whole-clip vaeDecoder is traced for latent\.frames 4 and the package has no vaeDecoderFrames/],
    ['no sizes', (m: any) => (m.presets.sizes = []), /manifest\.presets\.sizes is empty/],
    ['no factors', (m: any) => delete m.presets.factors, /manifest\.presets\.factors is missing, but must be an object/],
    ['a time factor of 0', (m: any) => (m.presets.factors.time = 0), /manifest\.presets\.factors\.time is 0, but must be at least 1/],
    ['causal not a boolean', (m: any) => (m.presets.factors.causal = 'yes'), /manifest\.presets\.factors\.causal is the string "yes", but must be true or false/],
    ['a negative attention size', (m: any) => (m.presets.sizes[0].attentionScoresBytes = -1), /manifest\.presets\.sizes\[0\]\.attentionScoresBytes is -1/],
    ['a preset too large for a browser', (m: any) => (m.presets.sizes[1].height = 128 * 64) && (m.presets.sizes[1].width = 128 * 64), /manifest\.presets\.sizes\[1\] makes a tensor of .* \(its video\)/],
    ['scenes beside presets', (m: any) => (m.scenes = { maxScenes: 2, minFrames: 8, maxFrames: 16, defaultFrames: 16 }), /manifest\.presets is given beside "scenes"/],
  ])('refuses %s, naming the field', (_what, edit, message) => {
    const m = withPresets();
    edit(m);
    expect(errorOf(m).message).toMatch(message);
  });

  it('refuses a preset of another length that the frame pair cannot decode', () => {
    const m = structuredClone(converted);
    m.presets = {
      default: '9x32x32', factors: { time: 4, space: 8, causal: true }, patch: { frames: 1, height: 2, width: 2 },
      sizes: [{ name: '9x32x32', frames: 9, height: 32, width: 32 }, { name: 'one', frames: 1, height: 32, width: 32 }],
    };
    expect(errorOf(m).message).toMatch(/manifest\.presets\.sizes\[1\] has 1 latent frames, which the frame-by-frame VAE decoder \(first 2, then 1 at a time\) cannot decode/);
  });
});

describe('video.attentionScoresBytes: the attention figure of the manifest’s own size', () => {
  it('is read where given (the converted tiny Wan package: 12 tokens, 2 heads), and optional', () => {
    const m = parseManifest(converted);
    expect(m.video.attentionScoresBytes).toBe(2 * 2 * 12 * 12 * 4);
    const without = structuredClone(converted);
    delete without.video.attentionScoresBytes;
    expect('attentionScoresBytes' in parseManifest(without).video).toBe(false);
  });

  it.each([
    ['a negative figure', -1, 'is -1'],
    ['a fraction', 2304.5, 'is 2304.5'],
    ['a string', '2304', 'is the string "2304"'],
    ['null', null, 'is null'],
  ])('refuses %s, naming the field', (_what, value, is) => {
    const m = structuredClone(converted);
    m.video.attentionScoresBytes = value;
    const error = errorOf(m);
    expect(error.field).toBe('video.attentionScoresBytes');
    expect(error.message).toContain(`manifest.video.attentionScoresBytes ${is}, but must be a whole number of bytes (one self-attention's scores for a batch of 2 at this size)`);
  });

  it('with presets, is the default preset’s figure: equal is read, another or none is refused naming the preset’s field', () => {
    const m = withPresets();
    m.video.attentionScoresBytes = 1234;
    expect(parseManifest(m).video.attentionScoresBytes).toBe(1234);
    m.video.attentionScoresBytes = 999;
    const other = errorOf(m);
    expect(other.field).toBe('presets.sizes[0].attentionScoresBytes');
    expect(other.message).toMatch(
      /^manifest\.presets\.sizes\[0\]\.attentionScoresBytes is 1234, but video\.attentionScoresBytes is 999; the default preset is the manifest's own size, so both give the same figure/,
    );
    delete m.presets.sizes[0].attentionScoresBytes;
    expect(errorOf(m).message).toMatch(/^manifest\.presets\.sizes\[0\]\.attentionScoresBytes is missing, but video\.attentionScoresBytes is 999/);
    // a package converted before `video` carried it: the presets' figures alone
    delete m.video.attentionScoresBytes;
    expect(parseManifest(m).presets!.sizes[0]!.attentionScoresBytes).toBeUndefined();
    const converted = JSON.parse(readFileSync('tests/fixtures/wan-tiny-presets/manifest.json', 'utf8'));
    expect(parseManifest(converted).video.attentionScoresBytes).toBe(2304);
    delete converted.video.attentionScoresBytes;
    const older = parseManifest(converted);
    expect(older.video.attentionScoresBytes).toBeUndefined();
    expect(older.presets!.sizes[0]!.attentionScoresBytes).toBe(2304);
  });
});
