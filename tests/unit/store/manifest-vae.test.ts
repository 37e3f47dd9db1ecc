/**
 * The optional `vaeDecoderFrames` and `vaeTiling` sections (#11, src/store/manifest-vae.ts), on the
 * section the converter writes (tests/fixtures/wan-tiny, made by scripts/make-wan-tiny-fixture.sh).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mappedRoles, optionalRoles, packageFeatures, requiredRoles } from '../../../src/package/components';
import { frameCalls, frameGraphRoles } from '../../../src/package/vae-decode';
import { planSessions } from '../../../src/engine/load-plan';
import { allListedFiles } from '../../../src/store/check-package';
import { parseManifest } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const converted = JSON.parse(readFileSync('tests/fixtures/wan-tiny/manifest.json', 'utf8'));

function withFrames(): Record<string, any> {
  const m = validManifest();
  m.vaeDecoderFrames = structuredClone(converted.vaeDecoderFrames);
  return m;
}

describe('manifest vaeDecoderFrames', () => {
  it('is optional: a package without it has none', () => {
    expect(parseManifest(validManifest()).vaeDecoderFrames).toBeUndefined();
  });

  it("reads what the converter writes, the whole converted package included", () => {
    const m = parseManifest(withFrames());
    const f = m.vaeDecoderFrames!;
    expect(f.first.latentFrames).toBe(2);
    expect(f.next.latentFrames).toBe(1);
    expect(f.cache.length).toBe(converted.vaeDecoderFrames.cache.length);
    expect(f.cache[0]).toEqual(converted.vaeDecoderFrames.cache[0]);
    const roles = frameGraphRoles(f);
    expect(roles.first.outputs['cache.0']).toBe(f.cache[0]!.input);
    expect(roles.next.inputs['cache.0']).toBe(f.cache[0]!.input);
    expect(roles.next.outputs['cache.0']).toBe(f.cache[0]!.output);
    expect(parseManifest(converted).vaeDecoderFrames).toEqual(parseManifest(converted).vaeDecoderFrames);
  });

  it('plans first, then next for each remaining group', () => {
    const pair = { first: { latentFrames: 2 }, next: { latentFrames: 1 } };
    expect(frameCalls(3, pair)).toEqual([{ graph: 'first', start: 0, count: 2 }, { graph: 'next', start: 2, count: 1 }]);
    expect(frameCalls(1, pair)).toBeNull();
    expect(frameCalls(4, { first: { latentFrames: 2 }, next: { latentFrames: 2 } })).toHaveLength(2);
    expect(frameCalls(5, { first: { latentFrames: 2 }, next: { latentFrames: 2 } })).toBeNull();
  });

  it.each([
    ['a missing latent role', (m: any) => delete m.vaeDecoderFrames.first.inputs.latent, /vaeDecoderFrames\.first\.inputs\.latent is missing/],
    ['a missing video role', (m: any) => delete m.vaeDecoderFrames.next.outputs.video, /vaeDecoderFrames\.next\.outputs\.video is missing/],
    ['latentFrames 0', (m: any) => (m.vaeDecoderFrames.next.latentFrames = 0), /vaeDecoderFrames\.next\.latentFrames is 0, but must be at least 1/],
    ['no variants', (m: any) => (m.vaeDecoderFrames.first.variants = {}), /vaeDecoderFrames\.first\.variants is empty/],
    ['a bad sha256', (m: any) => (m.vaeDecoderFrames.next.variants.fp32.files[0].sha256 = 'x'), /vaeDecoderFrames\.next\.variants\.fp32\.files\[0\]\.sha256/],
    ['cache not a list', (m: any) => (m.vaeDecoderFrames.cache = {}), /vaeDecoderFrames\.cache is an? .*must be an array/],
    ['a cache without output', (m: any) => delete m.vaeDecoderFrames.cache[1].output, /vaeDecoderFrames\.cache\[1\]\.output is missing/],
    ['two caches sharing an input', (m: any) => (m.vaeDecoderFrames.cache[2].input = m.vaeDecoderFrames.cache[0].input), /vaeDecoderFrames\.cache\[2\]\.input is "cache_0", which cache\[0\]\.input already names/],
    ['a cache named as the latent', (m: any) => (m.vaeDecoderFrames.cache[0].input = m.vaeDecoderFrames.next.inputs.latent), /vaeDecoderFrames\.cache\[0\]\.input is "latent", which next\.inputs\.latent already names/],
    ['a cache output named as the video', (m: any) => (m.vaeDecoderFrames.cache[0].output = 'video'), /vaeDecoderFrames\.cache\[0\]\.output is "video", which next\.outputs\.video already names/],
    ['a negative shape', (m: any) => (m.vaeDecoderFrames.cache[0].shape = [1, -2]), /vaeDecoderFrames\.cache\[0\]\.shape\[1\] is -2/],
  ])('refuses %s, naming the field', (_what, breakIt, message) => {
    const m = withFrames();
    breakIt(m);
    expect(errorOf(m).message).toMatch(message);
  });

  it('refuses one file listed by a frame graph and a component with different contents', () => {
    const m = withFrames();
    m.vaeDecoderFrames.first.variants.fp32.files[0].path = 'vae_decoder.onnx';
    expect(errorOf(m).message).toMatch(/vaeDecoderFrames\.first\.variants\.fp32\.files\[0\]\.path is "vae_decoder\.onnx", which components\.vaeDecoder/);
  });
});

describe('the optional decode_noise role (a seeded noise input of the VAE decoders)', () => {
  const noisy = (frames: boolean) => {
    const m = frames ? withFrames() : validManifest();
    m.components.vaeDecoder.inputs.decode_noise = 'decode_noise';
    if (frames) for (const g of ['first', 'next']) m.vaeDecoderFrames[g].inputs.decode_noise = 'decode_noise';
    return m;
  };
  const backend = { backend: 'wasm', description: 'WebAssembly', reason: 'test', shaderF16: false, threads: 1 } as const;

  it('is optional: not required of a vaeDecoder, a package without it maps none and is checked for none', () => {
    const m = parseManifest(withFrames());
    const has = packageFeatures(m);
    expect(requiredRoles('vaeDecoder', has).inputs).toEqual(['latent']);
    expect(optionalRoles('vaeDecoder').inputs).toEqual(['decode_noise']);
    expect(m.components.vaeDecoder.inputs.decode_noise).toBeUndefined();
    expect(mappedRoles('vaeDecoder', has, m.components.vaeDecoder).inputs).toEqual(['latent']);
    expect(Object.keys(frameGraphRoles(m.vaeDecoderFrames!).first.inputs)).toEqual(['latent']);
    const whole = planSessions(m, backend).find((s) => s.key === 'vaeDecoder')!;
    expect(whole.roles.inputs).toEqual(['latent']);
    const frames = planSessions(m, backend, 'auto', 'frames');
    expect(frames.find((s) => s.key === 'vaeDecoderFirst')!.roles.inputs).toEqual(['latent']);
  });

  it('is read on the whole-clip decoder alone, and on it and both frame graphs; sessions are checked for it', () => {
    const alone = parseManifest(noisy(false));
    expect(alone.components.vaeDecoder.inputs).toEqual({ latent: validManifest().components.vaeDecoder.inputs.latent, decode_noise: 'decode_noise' });
    expect(planSessions(alone, backend).find((s) => s.key === 'vaeDecoder')!.roles.inputs).toEqual(['latent', 'decode_noise']);
    const all = parseManifest(noisy(true));
    const roles = frameGraphRoles(all.vaeDecoderFrames!);
    expect(roles.first.inputs.decode_noise).toBe('decode_noise');
    expect(roles.next.inputs.decode_noise).toBe('decode_noise');
    const frames = planSessions(all, backend, 'auto', 'frames');
    expect(frames.find((s) => s.key === 'vaeDecoderFirst')!.roles.inputs).toEqual(['latent', 'decode_noise']);
    expect(frames.find((s) => s.key === 'vaeDecoderNext')!.roles.inputs).toContain('decode_noise');
  });

  it.each([
    ['the frame pair without it', (m: any) => { for (const g of ['first', 'next']) delete m.vaeDecoderFrames[g].inputs.decode_noise; },
      /vaeDecoderFrames\.first\.inputs\.decode_noise is missing, but components\.vaeDecoder\.inputs maps it/],
    ['one frame graph without it', (m: any) => delete m.vaeDecoderFrames.next.inputs.decode_noise,
      /vaeDecoderFrames\.next\.inputs\.decode_noise is missing, but components\.vaeDecoder\.inputs and vaeDecoderFrames\.first\.inputs map it/],
    ['the whole-clip decoder without it', (m: any) => delete m.components.vaeDecoder.inputs.decode_noise,
      /components\.vaeDecoder\.inputs\.decode_noise is missing, but vaeDecoderFrames\.first\.inputs and vaeDecoderFrames\.next\.inputs map it/],
    ['the noise named as the latent', (m: any) => (m.components.vaeDecoder.inputs.decode_noise = m.components.vaeDecoder.inputs.latent),
      /components\.vaeDecoder\.inputs\.decode_noise is "\w+", the latent's tensor/],
    ['a frame graph’s noise named as its latent', (m: any) => (m.vaeDecoderFrames.first.inputs.decode_noise = m.vaeDecoderFrames.first.inputs.latent),
      /vaeDecoderFrames\.first\.inputs\.decode_noise is "\w+", the latent's tensor/],
    ['a cache named as the noise', (m: any) => (m.vaeDecoderFrames.cache[1].input = 'decode_noise'),
      /vaeDecoderFrames\.cache\[1\]\.input is "decode_noise", which next\.inputs\.decode_noise already names/],
  ])('refuses %s, naming the field', (_what, breakIt, message) => {
    const m = noisy(true);
    breakIt(m);
    expect(errorOf(m).message).toMatch(message);
  });
});

describe('manifest vaeTiling', () => {
  it('reads a hint, with the optional bytes per latent pixel', () => {
    const m = validManifest();
    m.vaeTiling = { tile: 32, overlap: 8 };
    expect(parseManifest(m).vaeTiling).toEqual({ tile: 32, overlap: 8 });
    m.vaeTiling.bytesPerLatentPixel = 5e5;
    expect(parseManifest(m).vaeTiling).toEqual({ tile: 32, overlap: 8, bytesPerLatentPixel: 5e5 });
  });

  it.each([
    [{ tile: 1, overlap: 0 }, /vaeTiling\.tile is 1, but must be an integer of at least 2/],
    [{ tile: 16, overlap: 8 }, /vaeTiling\.overlap is 8, but must be less than half the tile/],
    [{ tile: 16 }, /vaeTiling\.overlap is missing/],
    [{ tile: 16, overlap: 2, bytesPerLatentPixel: 0 }, /vaeTiling\.bytesPerLatentPixel is 0, but must be greater than 0/],
  ])('refuses %j', (hint, message) => {
    const m = validManifest();
    m.vaeTiling = hint;
    expect(errorOf(m).message).toMatch(message);
  });
});

describe('the converted package as a whole', () => {
  it('lists the frame pair among its files (check-package, a picked folder) and carries the tiling hint', () => {
    const m = parseManifest(converted);
    const listed = allListedFiles(m);
    for (const part of ['first', 'next'] as const) {
      for (const f of m.vaeDecoderFrames![part].variants.fp32!.files) {
        expect(listed.find((l) => l.file.path === f.path)?.listedAt).toBe(`vaeDecoderFrames.${part}.variants.fp32`);
      }
    }
    // the converter measures the decode's memory per latent pixel (convert/vidlet_convert/vae_memory.py)
    expect(m.vaeTiling).toMatchObject({ tile: 32, overlap: 8 });
    expect(m.vaeTiling!.bytesPerLatentPixel).toBeGreaterThan(0);
  });
});
