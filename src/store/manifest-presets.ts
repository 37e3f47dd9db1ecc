/**
 * The manifest's optional `presets` section (docs/model-package.md "Presets"), checked against the
 * rules in src/package/presets.ts. Kept out of manifest.ts, which holds the sections every package has.
 */
import {
  latentSize, MAX_PRESETS, PRESET_NAME, presetSupportProblems, type ClipSize, type Preset, type PresetSupport,
} from '../package/presets';
import type { ScheduleGrid } from '../package/schedule';
import { tensorSizeProblem } from '../package/tensor-size';
import { arr, bool, describe, fail, int, join, obj, optStr, str } from './json-fields';

export function parsePresets(
  v: unknown,
  manifest: { video: ClipSize; latent: ClipSize & { channels: number }; scenes?: unknown; schedule?: ScheduleGrid },
  frames: { first: { latentFrames: number }; next: { latentFrames: number } } | undefined,
): PresetSupport | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'presets');
  if (manifest.scenes !== undefined) {
    // A scene plan sets the clip's length itself (src/package/scenes.ts); the two are not combined yet.
    fail('presets', 'is given beside "scenes", but a package may have size presets or multi-scene clips, not both yet', 'remove one of the two sections');
  }
  const f = obj(o.factors, 'presets.factors');
  const factors = {
    time: int(f.time, 'presets.factors.time', 1),
    space: int(f.space, 'presets.factors.space', 1),
    causal: bool(f.causal, 'presets.factors.causal'),
  };
  const p = obj(o.patch, 'presets.patch');
  const patch = {
    frames: int(p.frames, 'presets.patch.frames', 1),
    height: int(p.height, 'presets.patch.height', 1),
    width: int(p.width, 'presets.patch.width', 1),
  };
  const list = arr(o.sizes, 'presets.sizes');
  if (list.length > MAX_PRESETS) fail('presets.sizes', `lists ${list.length} presets, more than the ${MAX_PRESETS} a selector offers`);
  const sizes = list.map((s, i) => parsePreset(s, join('presets.sizes', i), factors, manifest.latent.channels));
  const support: PresetSupport = { default: str(o.default, 'presets.default'), factors, patch, sizes };
  if (o.vaeAnyLength !== undefined) support.vaeAnyLength = bool(o.vaeAnyLength, 'presets.vaeAnyLength');
  const problem = presetSupportProblems(support, manifest, frames)[0];
  if (problem) fail(join('presets', problem[0]), problem[1]);
  return support;
}

function parsePreset(v: unknown, field: string, factors: PresetSupport['factors'], channels: number): Preset {
  const o = obj(v, field);
  const name = str(o.name, join(field, 'name'));
  if (!PRESET_NAME.test(name)) {
    fail(join(field, 'name'), `is ${JSON.stringify(name)}, but a preset name is 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit (it is typed as vidlet --preset NAME)`);
  }
  const video = {
    frames: int(o.frames, join(field, 'frames'), 1),
    height: int(o.height, join(field, 'height'), 1),
    width: int(o.width, join(field, 'width'), 1),
  };
  const latent = latentSize(video, factors);
  if (typeof latent === 'string') fail(field, `${latent} (presets.factors)`);
  for (const [what, dims] of [['video', [3, video.frames, video.height, video.width]], ['latent', [channels, latent.frames, latent.height, latent.width]]] as const) {
    const problem = tensorSizeProblem(dims);
    if (problem) fail(field, `${problem} (its ${what})`);
  }
  const label = optStr(o.label, join(field, 'label'));
  const preset: Preset = { name, ...(label === undefined ? {} : { label }), video, latent };
  if (o.attentionScoresBytes !== undefined) preset.attentionScoresBytes = attentionScoresBytes(o.attentionScoresBytes, join(field, 'attentionScoresBytes'));
  if (o.shift !== undefined) {
    if (typeof o.shift !== 'number' || !Number.isFinite(o.shift) || !(o.shift > 0)) {
      fail(join(field, 'shift'), `is ${JSON.stringify(o.shift)}, but must be a positive number (the schedule's shift at this size)`);
    }
    preset.shift = o.shift as number;
  }
  return preset;
}

/**
 * A size's `attentionScoresBytes` (a preset's, or `video`'s: the same figure, src/package/presets.ts
 * Preset): a whole number of bytes.
 */
export function attentionScoresBytes(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(field, `is ${describe(v)}, but must be a whole number of bytes (one self-attention's scores for a batch of 2 at this size)`);
  }
  return v;
}
