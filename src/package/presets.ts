/**
 * Clip size presets (docs/model-package.md "Presets"): a package whose graphs take several latent
 * sizes lists them in `presets`, and a request may name one. The rules are stated once here: the
 * parser (src/store/manifest-presets.ts) checks packages with them, the engine sizes a generation
 * with presetSize, and the CLI and the page describe and choose with the same names. Pure data and
 * checks (imports only the frame-pair and sampling-grid rules).
 */
import type { ScheduleGrid } from './schedule';
import { computedGridProblem } from './sigma-grid';
import { frameCalls } from './vae-decode';

export interface ClipSize {
  frames: number;
  height: number;
  width: number;
}

/**
 * How the VAE maps video to latent: `space` pixels per latent pixel on each side; `time` video frames
 * per latent frame, with the first video frame alone when `causal` (Wan, LTX-Video: frames = (t − 1)·time + 1),
 * else frames = t·time (vidlet-tiny).
 */
export interface VaeFactors {
  time: number;
  space: number;
  causal: boolean;
}

export interface Preset {
  /** What a request, the CLI's --preset and the page's selector name it by. */
  name: string;
  /** Optional words for the page ("fast, small"); the name is shown when absent. */
  label?: string;
  video: ClipSize;
  /** Computed from `video` by the factors (never written in the manifest). */
  latent: ClipSize;
  /**
   * Bytes of one self-attention's scores [2, heads, N, N] in float32 for the engine's batch of 2 (CFG)
   * at this size, where the denoiser computes attention unfused (a converted package: the converter's
   * attention_size); absent when unknown. The largest single buffer a step needs.
   */
  attentionScoresBytes?: number;
  /**
   * The schedule's shift at this size, where the publisher's pipeline shifts by the clip's token count
   * (LTXPipeline: e^mu); absent: `schedule.shift`. Only beside a computed grid (a fixed `sigmas` list
   * does not shift), and the default preset's must equal `schedule.shift`, the shift a request without
   * a preset samples with.
   */
  shift?: number;
}

export interface PresetSupport {
  /** The name of the preset a request without one gets; its size is the manifest's `video` / `latent`. */
  default: string;
  factors: VaeFactors;
  /** The denoiser's patch (latent frames, height, width per token): each preset's latent is a multiple. */
  patch: ClipSize;
  sizes: Preset[];
  /**
   * The whole-clip vaeDecoder takes any latent frame count (its time axis is dynamic), so a preset of
   * another length decodes with it rather than with the frame pair. A VAE that decodes the whole clip in
   * one call whatever its length (LTX-Video's, not causal over time) is exported so; Wan's whole-clip graph
   * is traced for one length.
   */
  vaeAnyLength?: boolean;
}

/** Whether the whole-clip vaeDecoder of a package decodes `latentFrames` latent frames. */
export function wholeClipDecodes(manifest: { latent: ClipSize; presets?: Pick<PresetSupport, 'vaeAnyLength'> }, latentFrames: number): boolean {
  return latentFrames === manifest.latent.frames || manifest.presets?.vaeAnyLength === true;
}

/** A name: a letter or digit, then letters, digits, '.', '_', '-' (CLI flag values, history records). */
export const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
/** Enough for any selector; the parser refuses more. */
export const MAX_PRESETS = 16;

/** The latent size of a video size under `factors`, or why there is none (a problem sentence). */
export function latentSize(video: ClipSize, f: VaeFactors): ClipSize | string {
  const frames = f.causal ? (video.frames - 1) / f.time + 1 : video.frames / f.time;
  if (!Number.isInteger(frames) || frames < 1) {
    return `has ${video.frames} frames, but the VAE makes ${f.causal ? `${f.time}k + 1 frames (its first frame alone, then ${f.time} per latent frame)` : `${f.time}k frames (${f.time} per latent frame)`}`;
  }
  if (video.height % f.space !== 0 || video.width % f.space !== 0) {
    return `is ${video.width}×${video.height}, but the VAE makes multiples of ${f.space} pixels on each side`;
  }
  return { frames, height: video.height / f.space, width: video.width / f.space };
}

/** Why `latent` cannot be cut into the denoiser's patches, or undefined. */
export function patchProblem(latent: ClipSize, patch: ClipSize): string | undefined {
  const bad = (['frames', 'height', 'width'] as const).filter((k) => latent[k] % patch[k] !== 0);
  if (bad.length === 0) return undefined;
  return `has latent ${latent.frames}×${latent.height}×${latent.width} (frames × height × width), but the denoiser's patch is ${patch.frames}×${patch.height}×${patch.width}, so its ${bad.join(' and ')} must be a multiple of it`;
}

export const sameSize = (a: ClipSize, b: ClipSize): boolean => a.frames === b.frames && a.height === b.height && a.width === b.width;

/** "33×240×416" (frames × height × width), as the converter's --presets writes sizes. */
export function describeSize(s: ClipSize): string {
  return `${s.frames}×${s.height}×${s.width}`;
}

/** "small: 17 frames of 288×160", for selectors and messages. */
/** The video a request for `preset` makes: that preset's, or the model's own size (the default preset's) when absent or without presets. */
export function presetVideo(
  info: { video: { frames: number; width: number; height: number }; presets?: readonly Pick<Preset, 'name' | 'video'>[] },
  preset: string | undefined,
): { frames: number; width: number; height: number } {
  return info.presets?.find((p) => p.name === preset)?.video ?? info.video;
}

export function describePreset(p: Pick<Preset, 'name' | 'label' | 'video'>): string {
  return `${p.label ?? p.name}: ${p.video.frames} frames of ${p.video.width}×${p.video.height}`;
}

/**
 * Problems of a whole `presets` section against the manifest it sits in, as [field under `presets`,
 * problem] pairs. `video` / `latent`: the manifest's (the default preset's size, and its attention
 * figure when `video` gives one: a package without presets is judged by it). `frames`: the
 * frame-by-frame VAE pair when the package has one: a preset whose latent frames are not the
 * whole-clip graph's (`latent.frames`, the length it was traced for) is decoded by it, so it must
 * take that length.
 */
export function presetSupportProblems(
  p: PresetSupport,
  manifest: { video: ClipSize & { attentionScoresBytes?: number }; latent: ClipSize; schedule?: ScheduleGrid },
  frames: { first: { latentFrames: number }; next: { latentFrames: number } } | undefined,
): [string, string][] {
  const out: [string, string][] = [];
  const schedule = manifest.schedule;
  p.sizes.forEach((s, i) => {
    if (s.shift === undefined || !schedule) return;
    if (schedule.sigmas) {
      out.push([`sizes[${i}].shift`, `is ${s.shift}, but the schedule is a fixed sigmas list, which no shift changes`]);
      return;
    }
    const grid = computedGridProblem(s.shift, schedule.spacing, schedule.shiftTerminal);
    if (grid) out.push([`sizes[${i}].shift`, `is ${s.shift}, which makes no grid the engine can sample: ${grid.problem}`]);
    if (s.name === p.default && s.shift !== schedule.shift) {
      out.push([`sizes[${i}].shift`, `is ${s.shift}, but this is the default preset, whose shift is schedule.shift (${schedule.shift}): a request without a preset samples with that`]);
    }
  });
  if (p.sizes.length === 0) out.push(['sizes', 'is empty, but must list at least the default preset']);
  if (p.sizes.length > MAX_PRESETS) out.push(['sizes', `lists ${p.sizes.length} presets, more than the ${MAX_PRESETS} a selector offers`]);
  const seen = new Set<string>();
  p.sizes.forEach((s, i) => {
    if (seen.has(s.name)) out.push([`sizes[${i}].name`, `is ${JSON.stringify(s.name)}, which an earlier preset already uses; preset names must be unique`]);
    seen.add(s.name);
    const patch = patchProblem(s.latent, p.patch);
    if (patch) out.push([`sizes[${i}]`, patch]);
    if (!wholeClipDecodes({ latent: manifest.latent, presets: p }, s.latent.frames)) {
      if (!frames) {
        out.push([`sizes[${i}]`, `has ${s.latent.frames} latent frames, but the whole-clip vaeDecoder is traced for latent.frames ${manifest.latent.frames} and the package has no vaeDecoderFrames to decode another length`]);
      } else if (frameCalls(s.latent.frames, frames) === null) {
        out.push([`sizes[${i}]`, `has ${s.latent.frames} latent frames, which the frame-by-frame VAE decoder (first ${frames.first.latentFrames}, then ${frames.next.latentFrames} at a time) cannot decode`]);
      }
    }
  });
  const d = p.sizes.find((s) => s.name === p.default);
  if (!d) {
    out.push(['default', `is ${JSON.stringify(p.default)}, but no preset in presets.sizes has that name (${p.sizes.map((s) => s.name).join(', ') || 'none'})`]);
  } else {
    if (!sameSize(d.video, manifest.video)) {
      out.push(['default', `names ${describeSize(d.video)} (frames × height × width), but the manifest's video is ${describeSize(manifest.video)}; the default preset is the size the manifest declares`]);
    } else if (!sameSize(d.latent, manifest.latent)) {
      out.push(['factors', `turn the default preset's video into latent ${describeSize(d.latent)}, but the manifest's latent is ${describeSize(manifest.latent)}`]);
    }
    const given = manifest.video.attentionScoresBytes;
    if (given !== undefined && d.attentionScoresBytes !== given) {
      out.push([
        `sizes[${p.sizes.indexOf(d)}].attentionScoresBytes`,
        `is ${d.attentionScoresBytes ?? 'missing'}, but video.attentionScoresBytes is ${given}; the default preset is the manifest's own size, so both give the same figure`,
      ]);
    }
  }
  return out;
}

/** The size a request gets: its preset's, or the manifest's own (the default preset's) without one. */
export interface SizeChoice {
  /** The preset's name; absent for a package without presets. */
  preset?: string;
  video: ClipSize;
  latent: ClipSize;
  attentionScoresBytes?: number;
  /** The preset's own schedule shift (Preset.shift), when it has one. */
  shift?: number;
}

/**
 * The size of a request naming `name` (undefined: the default) on a package, or a problem sentence
 * for the request's `preset` field (the engine raises it as an InvalidRequestError).
 */
export function presetSize(
  manifest: { name: string; video: ClipSize; latent: ClipSize; presets?: PresetSupport },
  name: string | undefined,
): SizeChoice | string {
  const p = manifest.presets;
  if (!p) {
    if (name === undefined) return { video: pick(manifest.video), latent: pick(manifest.latent) };
    return `is ${JSON.stringify(name)}, but ${manifest.name} has no size presets: it makes ${describeSize(manifest.video)} (frames × height × width) clips only; leave the preset out`;
  }
  const chosen = p.sizes.find((s) => s.name === (name ?? p.default));
  if (!chosen) return `is ${JSON.stringify(name)}, but ${manifest.name}'s presets are ${p.sizes.map((s) => s.name).join(', ')}`;
  return {
    preset: chosen.name, video: pick(chosen.video), latent: pick(chosen.latent),
    ...(chosen.attentionScoresBytes === undefined ? {} : { attentionScoresBytes: chosen.attentionScoresBytes }),
    ...(chosen.shift === undefined ? {} : { shift: chosen.shift }),
  };
}

function pick(s: ClipSize): ClipSize {
  return { frames: s.frames, height: s.height, width: s.width };
}

/**
 * What a layer above the manifest is told of a preset (ModelInfo.presets, the worker's package plan):
 * its name, label, video size and attention bytes, copied (structured-clonable), without the latent.
 */
export function presetSummary(p: Preset): Pick<Preset, 'name' | 'label' | 'video' | 'attentionScoresBytes'> {
  return {
    name: p.name, ...(p.label === undefined ? {} : { label: p.label }), video: pick(p.video),
    ...(p.attentionScoresBytes === undefined ? {} : { attentionScoresBytes: p.attentionScoresBytes }),
  };
}

/** Every latent size a package may be asked for: its presets', or its one size. */
export function latentSizes(manifest: { latent: ClipSize; presets?: PresetSupport }): ClipSize[] {
  return manifest.presets ? manifest.presets.sizes.map((s) => pick(s.latent)) : [pick(manifest.latent)];
}
