/**
 * Every layer that takes a request draws the same line at the same values: the engine
 * (checkRequest), the CLI flags, the page's form, the settings embedded in exports and the
 * manifest's schedule defaults. The expected values are written out here, not read from
 * src/package/request.ts, so a change to a limit has to be made on purpose.
 */
import { describe, expect, it } from 'vitest';
import { validateSettings, FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import { parseCli } from '../../../src/cli/args';
import { checkRequest } from '../../../src/engine/engine';
import type { AdapterSettings, GenerateRequest } from '../../../src/engine/types';
import { parseSettings } from '../../../src/media/settings';
import { randomSeed } from '../../../src/package/request';
import { parseManifest } from '../../../src/store/manifest';
import { clipSettings, quadrantClip } from '../media/fixtures';
import { validManifest } from '../store/manifest-fixture';
import { ok } from './accepts';

type Request = GenerateRequest & AdapterSettings;
const request: Request = { prompt: 'a red star', seed: 7, steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' };
const settings = clipSettings(quadrantClip(4, 4, 2), 8);


/** Does each layer accept the request with `change` applied? */
function verdicts(change: Partial<Request>, flags: string[], manifestKey?: string): Record<string, boolean> {
  const field = Object.keys(change)[0] as keyof Request;
  const out: Record<string, boolean> = {
    engine: ok(() => checkRequest({ ...request, ...change })),
    cli: ok(() => parseCli(['generate', '--prompt', 'p', ...flags])),
    page: !validateSettings({ ...FALLBACK_SETTINGS, prompt: 'p', ...change }).some((p) => p.field === field),
    settings: ok(() => parseSettings({ ...settings, ...change })),
  };
  if (manifestKey) {
    const m = validManifest();
    m.schedule[manifestKey] = Object.values(change)[0];
    out.manifest = ok(() => parseManifest(m));
  }
  return out;
}

const all = (v: boolean, manifest: boolean) => ({ engine: v, cli: v, page: v, settings: v, ...(manifest ? { manifest: v } : {}) });

describe('request limits: every layer agrees', () => {
  const cases: [field: 'seed' | 'steps' | 'guidance' | 'innerGuidance' | 'contrast', flag: string, manifestKey: string | undefined, accepted: number[], refused: number[]][] = [
    ['seed', 'seed', undefined, [0, 1, 2 ** 32 - 1], [-3, -1, 2 ** 32, 1.5]],
    ['steps', 'steps', 'defaultSteps', [1, 200], [0, 201, 2.5]],
    ['guidance', 'guidance', 'defaultGuidance', [1, 7.5, 30], [0, 0.5, 30.5, -1]],
    ['innerGuidance', 'inner-guidance', 'defaultInnerGuidance', [0, 3, 30], [-0.5, 30.5]],
    ['contrast', 'contrast', 'defaultContrast', [0, 2.5, 30], [-0.5, 30.5]],
  ];
  for (const [field, flag, manifestKey, accepted, refused] of cases) {
    it(`${field}: accepts ${accepted.join(', ')}; refuses ${refused.join(', ')}`, () => {
      for (const v of accepted) expect([v, verdicts({ [field]: v }, [`--${flag}`, String(v)], manifestKey)]).toEqual([v, all(true, !!manifestKey)]);
      for (const v of refused) expect([v, verdicts({ [field]: v }, [`--${flag}`, String(v)], manifestKey)]).toEqual([v, all(false, !!manifestKey)]);
    });
  }

  it('sampler: the same five names everywhere', () => {
    for (const s of ['euler', 'heun', 'euler-ancestral', 'x0-renoise', 'unipc']) {
      expect(verdicts({ sampler: s as never }, ['--sampler', s], 'defaultSampler')).toEqual(all(true, true));
    }
    expect(verdicts({ sampler: 'ddim' as never }, ['--sampler', 'ddim'], 'defaultSampler')).toEqual(all(false, true));
  });

  it('blend and adapter strength: engine, CLI and settings agree (the page bounds strength too)', () => {
    const blend = (b: string) => ({
      engine: ok(() => checkRequest({ ...request, blend: b as never })),
      cli: ok(() => parseCli(['generate', '--prompt', 'p', '--blend', b])),
      settings: ok(() => parseSettings({ ...settings, adapters: [{ name: 'pip' }], blend: b })),
    });
    expect(blend('constant')).toEqual({ engine: true, cli: true, settings: true });
    expect(blend('dualreal')).toEqual({ engine: true, cli: true, settings: true });
    expect(blend('sideways')).toEqual({ engine: false, cli: false, settings: false });

    const strength = (s: number) => ({
      engine: ok(() => checkRequest({ ...request, adapters: [{ name: 'pip', strength: s }] })),
      cli: ok(() => parseCli(['generate', '--prompt', 'p', '--lora', `pip:${s}`])),
      page: validateSettings({ ...FALLBACK_SETTINGS, prompt: 'p', adapters: [{ name: 'pip', strength: s }] }).length === 0,
      settings: ok(() => parseSettings({ ...settings, adapters: [{ name: 'pip', strength: s }] })),
    });
    for (const s of [-4, 0, 0.8, 4]) expect([s, strength(s)]).toEqual([s, { engine: true, cli: true, page: true, settings: true }]);
    for (const s of [-4.5, 5]) expect([s, strength(s)]).toEqual([s, { engine: false, cli: false, page: false, settings: false }]);
  });

  it('a random seed is always one the layers accept, both ends of the draw included', () => {
    for (const r of [0, 0.5, 1 - 2 ** -53]) {
      const seed = randomSeed(() => r);
      expect(verdicts({ seed }, ['--seed', String(seed)])).toEqual(all(true, false));
    }
    expect(randomSeed(() => 1 - 2 ** -53)).toBe(2 ** 32 - 1);
  });
});
