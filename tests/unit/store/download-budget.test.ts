import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseBackend, chooseVariant } from '../../../src/engine/backend';
import { RUNTIME_COMPONENTS } from '../../../src/engine/engine';
import { parseManifest, variantFiles } from '../../../src/store/manifest';

// Issue #8: what a first visit on WebAssembly downloads (the variants the engine picks on its own,
// the same list the engine fetches), plus the shipped adapters and blender a user may enable,
// stays within 40 MB.
const BUDGET_BYTES = 40e6;
const shipped = 'public/models/vidlet-tiny/manifest.json';

describe('the default WebAssembly download of the shipped package', () => {
  it('exists', () => expect(existsSync(shipped)).toBe(true));

  it(`is at most ${BUDGET_BYTES / 1e6} MB`, () => {
    const manifest = parseManifest(JSON.parse(readFileSync(shipped, 'utf8')));
    const backend = chooseBackend({ webgpu: null, wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false });
    expect(backend.backend).toBe('wasm');
    const variants = Object.fromEntries(RUNTIME_COMPONENTS.map((name) =>
      [name, chooseVariant(name, manifest.components[name].variants, backend).variant]));
    const extras = [...manifest.adapters.map((a) => a.bytes), manifest.blender?.bytes ?? 0];
    const total = variantFiles(manifest, variants).reduce((n, f) => n + f.bytes, 0) + extras.reduce((n, b) => n + b, 0);
    expect(total).toBeGreaterThan(1e6); // the sum really covers the weights
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
