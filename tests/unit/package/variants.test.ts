/**
 * Variant and backend names: the manifest parser, the CLI flags and the settings embedded in
 * exports accept the same names, so a clip made with any variant the package ships can be
 * exported and restored. The expected names are written out here, not read from
 * src/package/variants.ts, so a change to the list has to be made on purpose.
 */
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../../src/cli/args';
import { parseSettings } from '../../../src/media/settings';
import { parseManifest } from '../../../src/store/manifest';
import { clipSettings, quadrantClip } from '../media/fixtures';
import { validManifest } from '../store/manifest-fixture';
import { ok } from './accepts';

const settings = clipSettings(quadrantClip(4, 4, 2), 8);


function variantVerdicts(variant: string): Record<string, boolean> {
  const m = validManifest();
  m.components.vaeDecoder.variants[variant] = { files: [{ path: `vae_decoder.${variant}.onnx`, bytes: 1, sha256: 'c'.repeat(64) }] };
  return {
    manifest: ok(() => parseManifest(m)),
    cli: ok(() => parseCli(['generate', '--prompt', 'p', '--variant', variant])),
    settings: ok(() => parseSettings({ ...settings, variant })),
  };
}

function backendVerdicts(backend: string): Record<string, boolean> {
  return {
    cli: ok(() => parseCli(['generate', '--prompt', 'p', '--backend', backend])),
    settings: ok(() => parseSettings({ ...settings, backend })),
  };
}

describe('variant and backend names: every layer agrees', () => {
  it('variants: fp32, fp16, int8 and q4 everywhere; nothing else', () => {
    for (const v of ['fp32', 'fp16', 'int8', 'q4']) expect([v, variantVerdicts(v)]).toEqual([v, { manifest: true, cli: true, settings: true }]);
    for (const v of ['bf16', 'fp8', 'FP32', '']) expect([v, variantVerdicts(v)]).toEqual([v, { manifest: false, cli: false, settings: false }]);
  });

  it('backends: webgpu and wasm everywhere; nothing else', () => {
    for (const b of ['webgpu', 'wasm']) expect([b, backendVerdicts(b)]).toEqual([b, { cli: true, settings: true }]);
    for (const b of ['cuda', 'webgl', 'WASM']) expect([b, backendVerdicts(b)]).toEqual([b, { cli: false, settings: false }]);
  });

  it("'auto' is a CLI choice, never a recorded one", () => {
    expect(variantVerdicts('auto')).toEqual({ manifest: false, cli: true, settings: false });
    expect(backendVerdicts('auto')).toEqual({ cli: true, settings: false });
  });
});
