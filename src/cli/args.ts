/**
 * Command-line parsing for `vidlet generate` and `vidlet bench` (pure: argv in, options out),
 * so the rules are unit-tested. Errors are UsageError with a message that names the flag.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseLoraRequest } from '../engine/adapters/slot-plan';
import {
  ADAPTER_STRENGTH, BLEND_MODES, CONTRAST, GUIDANCE, INNER_GUIDANCE, SAMPLER_NAMES, SEED, STEPS, describeLimit, limitProblem,
  type BlendMode, type NumberLimit, type SamplerName,
} from '../package/request';
import { BEST_OF, RANK_BY, type RankBy } from '../package/reward';
import { MAX_SCENES, SCENE_FRAMES, DEFAULT_SCENE_FRAMES } from '../package/scenes';
import { BACKENDS, VARIANTS, type Backend, type Variant } from '../package/variants';
import type { VaeDecodeOptions } from '../engine/load-plan';
import { parseSceneFlag, planScenes, type SceneFlag } from './scene-flags';
import { parseVaeFlags, VAE_GRAPHS } from './vae-flags';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The embedded model, found from this file (not the working directory), so `npx vidlet` works in any subfolder. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../public/models/vidlet-tiny', import.meta.url));
/** --backend and --variant: a name from src/package/variants.ts, or 'auto' (the engine chooses). */
const BACKEND_FLAGS = ['auto', ...BACKENDS] as const;
const VARIANT_FLAGS = ['auto', ...VARIANTS] as const;
export const OUTPUT_EXTENSIONS = ['mp4', 'webm', 'gif', 'zip'] as const;

export interface CommonOptions {
  model: string;
  json: boolean;
  threads?: number;
  backend: Backend | 'auto';
  variant: Variant | 'auto';
  /** --keep-text-encoder: the engine's LoadOptions.keepTextEncoder (a text encoder in parts stays loaded). */
  keepTextEncoder?: boolean;
}

export interface GenerateOptions extends CommonOptions {
  command: 'generate';
  /** --prompt as typed, or the --scene texts joined as the training captions join scenes. */
  prompt: string;
  /** --scene TEXT[:FRAMES], repeatable: the clip's scenes in order (none: the scenes --prompt reads as). */
  scenes: SceneFlag[];
  negative?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  innerGuidance?: number;
  /** --contrast W3: contrast guidance ("shape emphasis"; absent: the manifest's defaultContrast). */
  contrast?: number;
  sampler?: SamplerName;
  /** --preset NAME: one of the model's clip size presets (absent: its default; src/package/presets.ts). */
  preset?: string;
  out: string;
  decodeMotion: boolean;
  /**
   * --lora NAME_OR_PATH[:STRENGTH], repeatable: shipped or --adapter adapters by name, or a
   * .safetensors file (its description FILE.json beside it, if it has one), added first and then used by its name.
   */
  loras: LoraFlag[];
  /** --blend constant|dualreal (default: dualreal for the StageBlender table's own pair, else constant). */
  blend?: BlendMode;
  /** --adapter FILE.safetensors, repeatable (its description is FILE.json next to it, if it has one). */
  adapterFiles: string[];
  /** --best-of N: N takes from seeds seed, seed+1, …, ranked by the model's reward model; the best is written. */
  bestOf?: number;
  /** --rank-by (only with --best-of; default overall = VQ + MQ + TA). */
  rankBy?: RankBy;
  /** --vae-graphs, --vae-tiling, --vae-memory-budget: the engine's vaeDecode option (absent: the engine's defaults). */
  vaeDecode?: VaeDecodeOptions;
}

/** One --lora: `name` is '' for a file until the engine has read the file's description. */
export interface LoraFlag {
  name: string;
  strength?: number;
  file?: string;
}

export interface BenchOptions extends CommonOptions {
  command: 'bench';
  /** Steps of the whole-generation run (default: the manifest's). */
  steps?: number;
  /** Timed repetitions per component (after one warm-up). */
  repeats: number;
}

export type CliOptions = GenerateOptions | BenchOptions | { command: 'help' };

interface FlagSpec {
  kind: 'string' | 'number' | 'int' | 'bool' | 'list';
}

const COMMON: Record<string, FlagSpec> = {
  model: { kind: 'string' },
  json: { kind: 'bool' },
  threads: { kind: 'int' },
  backend: { kind: 'string' },
  variant: { kind: 'string' },
  'keep-text-encoder': { kind: 'bool' },
};
const GENERATE: Record<string, FlagSpec> = {
  ...COMMON,
  prompt: { kind: 'string' },
  scene: { kind: 'list' },
  negative: { kind: 'string' },
  seed: { kind: 'number' }, // seed, steps, guidance: whole or not, the request limits say
  steps: { kind: 'number' },
  guidance: { kind: 'number' },
  'inner-guidance': { kind: 'number' },
  contrast: { kind: 'number' },
  sampler: { kind: 'string' },
  preset: { kind: 'string' },
  out: { kind: 'string' },
  'decode-motion': { kind: 'bool' },
  lora: { kind: 'list' },
  blend: { kind: 'string' },
  adapter: { kind: 'list' },
  'best-of': { kind: 'number' },
  'rank-by': { kind: 'string' },
  'vae-graphs': { kind: 'string' },
  'vae-tiling': { kind: 'string' },
  'vae-memory-budget': { kind: 'number' },
};
const BENCH: Record<string, FlagSpec> = { ...COMMON, steps: { kind: 'number' }, repeats: { kind: 'int' } };

export function parseCli(argv: readonly string[]): CliOptions {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'generate' && command !== 'bench') throw new UsageError(`Unknown command "${command}": use "vidlet generate" or "vidlet bench" (vidlet help).`);
  const flags = parseFlags(rest, command === 'generate' ? GENERATE : BENCH, command);
  const common: CommonOptions = {
    model: (flags.model as string | undefined) ?? DEFAULT_MODEL_DIR,
    json: flags.json === true,
    threads: flags.threads as number | undefined,
    backend: oneOf('backend', (flags.backend as string | undefined) ?? 'auto', BACKEND_FLAGS),
    variant: oneOf('variant', (flags.variant as string | undefined) ?? 'auto', VARIANT_FLAGS),
    ...(flags['keep-text-encoder'] === true ? { keepTextEncoder: true } : {}),
  };
  if (common.threads !== undefined && common.threads < 1) throw new UsageError(`--threads must be ≥ 1, got ${common.threads}.`);
  if (command === 'bench') {
    const repeats = (flags.repeats as number | undefined) ?? 5;
    if (repeats < 1) throw new UsageError(`--repeats must be ≥ 1, got ${repeats}.`);
    return { command, ...common, steps: within('steps', STEPS, flags.steps), repeats };
  }
  const scenes = ((flags.scene as string[] | undefined) ?? []).map(parseSceneFlag);
  const prompt = scenes.length > 0 ? scenePrompt(scenes, flags.prompt !== undefined) : (flags.prompt as string | undefined);
  if (prompt === undefined || prompt.trim() === '') {
    throw new UsageError('vidlet generate needs --prompt "…" (what the clip should show), or one --scene "…" per scene.');
  }
  const out = (flags.out as string | undefined) ?? 'clip.mp4';
  const ext = out.toLowerCase().split('.').pop();
  if (!OUTPUT_EXTENSIONS.includes(ext as (typeof OUTPUT_EXTENSIONS)[number])) {
    throw new UsageError(`--out ${out}: the file name must end in .mp4, .webm, .gif or .zip (PNG frames).`);
  }
  if (flags['rank-by'] !== undefined && flags['best-of'] === undefined) {
    throw new UsageError('--rank-by only applies with --best-of N (it chooses which of the N takes is written).');
  }
  let vaeDecode: VaeDecodeOptions | undefined;
  try {
    vaeDecode = parseVaeFlags({
      graphs: flags['vae-graphs'] as string | undefined,
      tiling: flags['vae-tiling'] as string | undefined,
      budgetMib: flags['vae-memory-budget'] as number | undefined,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // The engine's limits, checked here so a bad value stops the run before the model loads
  // (and before a generation the export would then refuse).
  return {
    command, ...common, prompt, scenes,
    negative: flags.negative as string | undefined,
    seed: within('seed', SEED, flags.seed),
    steps: within('steps', STEPS, flags.steps),
    guidance: within('guidance', GUIDANCE, flags.guidance),
    innerGuidance: within('inner-guidance', INNER_GUIDANCE, flags['inner-guidance']),
    contrast: within('contrast', CONTRAST, flags.contrast),
    sampler: flags.sampler === undefined ? undefined : oneOf('sampler', flags.sampler as string, SAMPLER_NAMES),
    ...(flags.preset === undefined ? {} : { preset: flags.preset as string }),
    out,
    decodeMotion: flags['decode-motion'] === true,
    loras: ((flags.lora as string[] | undefined) ?? []).map(parseLora),
    blend: flags.blend === undefined ? undefined : oneOf('blend', flags.blend as string, BLEND_MODES),
    adapterFiles: (flags.adapter as string[] | undefined) ?? [],
    ...(flags['best-of'] === undefined ? {} : { bestOf: within('best-of', BEST_OF, flags['best-of']) }),
    ...(flags['rank-by'] === undefined ? {} : { rankBy: oneOf('rank-by', flags['rank-by'] as string, RANK_BY) }),
    ...(vaeDecode ? { vaeDecode } : {}),
  };
}

/**
 * node:util parseArgs splits `--name value` / `--name=value` (a value may start with "-": `--seed -3`
 * reaches the seed's own range check); it runs non-strict so that unknown flags, missing values and
 * numbers get messages that name the flag and what to do, checked here against `spec`.
 */
function parseFlags(args: readonly string[], spec: Record<string, FlagSpec>, command: string): Record<string, string | number | boolean | string[]> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, { type: f.kind === 'bool' ? 'boolean' : 'string', multiple: f.kind === 'list' } as const]));
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const t of tokens) {
    if (t.kind !== 'option' || !t.rawName.startsWith('--')) {
      const arg = args[t.index]!;
      throw new UsageError(`Unexpected argument "${arg}": flags start with -- (vidlet help).`);
    }
    const { name, value } = t;
    const f = spec[name];
    if (!f) throw new UsageError(`Unknown flag --${name} for vidlet ${command}; known: ${Object.keys(spec).map((k) => `--${k}`).join(' ')}.`);
    if (f.kind === 'bool') {
      if (value !== undefined) throw new UsageError(`--${name} takes no value.`);
      out[name] = true;
      continue;
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value.`);
    if (f.kind === 'list') out[name] = [...((out[name] as string[] | undefined) ?? []), value]; // repeatable
    else if (f.kind === 'string') out[name] = value;
    else {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}".`);
      if (f.kind === 'int' && !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a whole number, got "${value}".`);
      out[name] = n;
    }
  }
  return out;
}

/**
 * `NAME`, `NAME:STRENGTH`, `FILE.safetensors` or `FILE.safetensors:STRENGTH` (names with the
 * adapters' own parser, its errors as usage errors). A value is a file when it names a
 * .safetensors file or holds a path separator: adapter names cannot contain either.
 */
export function parseLora(text: string): LoraFlag {
  const flag = parseLoraText(text);
  const problem = flag.strength === undefined ? undefined : limitProblem(ADAPTER_STRENGTH, flag.strength);
  if (problem) throw new UsageError(`--lora "${text}": the strength ${problem}.`);
  return flag;
}

function parseLoraText(text: string): LoraFlag {
  const file = /^(.*\.safetensors)(?::([^:/\\]*))?$/i.exec(text.trim());
  if (file || /[/\\]/.test(text)) {
    const path = file ? file[1]! : text.trim();
    const raw = file?.[2];
    if (!/\.safetensors$/i.test(path)) throw new UsageError(`--lora "${text}": a path must name a .safetensors file (its description FILE.json beside it, if it has one).`);
    if (raw === undefined) return { name: '', file: path };
    const strength = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(strength)) throw new UsageError(`--lora "${text}": strength "${raw}" is not a number (e.g. ${path}:0.8).`);
    return { name: '', file: path, strength };
  }
  try {
    return parseLoraRequest(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The prompt of --scene flags: their texts joined as the training captions join scenes, once the
 * plan passes the contract (the loaded model's own limits are checked in generate.ts).
 */
function scenePrompt(flags: SceneFlag[], withPrompt: boolean): string {
  if (withPrompt) {
    throw new UsageError('Give --prompt or --scene, not both: with --scene, the scenes together are the prompt.');
  }
  const planned = planScenes({ scenes: flags });
  const blocking = planned.problems.filter((p) => p.blocking);
  if (blocking.length > 0) throw new UsageError(blocking.map((p) => `--scene: ${p.message}`).join('\n'));
  return planned.prompt;
}

/** A number flag within its request limit (undefined: not given, the manifest's default applies). */
function within(flag: string, limit: NumberLimit, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const problem = limitProblem(limit, value);
  if (problem) throw new UsageError(`--${flag} ${problem}.`);
  return value as number;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}".`);
  return value as T;
}

export const HELP = `vidlet — text-to-video on the same engine as the web page (onnxruntime-web, wasm, in Node)

  vidlet generate --prompt "…" | --scene "TEXT[:FRAMES]"…
                  [--negative "…"] [--seed N] [--steps N] [--guidance W]
                  [--inner-guidance W2] [--contrast W3] [--sampler ${SAMPLER_NAMES.join('|')}]
                  [--preset NAME]
                  [--model DIR] [--out clip.mp4|clip.webm|clip.gif|frames.zip]
                  [--decode-motion] [--threads N] [--variant fp32|int8|…] [--keep-text-encoder] [--json]
                  [--lora NAME_OR_FILE[:STRENGTH]]… [--blend ${BLEND_MODES.join('|')}] [--adapter FILE.safetensors]…
                  [--best-of N [--rank-by ${RANK_BY.join('|')}]]
                  [--vae-graphs ${VAE_GRAPHS.join('|')}] [--vae-tiling auto|off|TILE,OVERLAP] [--vae-memory-budget MIB]
  vidlet bench    [--model DIR] [--steps N] [--repeats N] [--threads N] [--keep-text-encoder] [--json]

Progress goes to stderr; with --json one JSON object goes to stdout.
Defaults: --model <repository>/public/models/vidlet-tiny, steps/guidance/contrast/sampler from the model's manifest,
a random seed (printed), --out clip.mp4.
--seed is ${describeLimit(SEED)}; --steps ${describeLimit(STEPS)}, except that a distilled
model with a fixed sigma list (schedule.sigmas) takes only its list's length;
--guidance ${describeLimit(GUIDANCE)}; --inner-guidance ${describeLimit(INNER_GUIDANCE)};
--contrast ${describeLimit(CONTRAST)}; a --lora strength ${describeLimit(ADAPTER_STRENGTH)}.
--adapter / --lora FILE.safetensors: a LoRA in Vidlet's, PEFT/diffusers', ComfyUI's or kohya/musubi's
names (docs/adapter-format.md); FILE.json beside it describes it, and without one it is named after the file.
--scene, repeatable: one scene of the clip each, in order, up to ${MAX_SCENES}; FRAMES is
${describeLimit(SCENE_FRAMES)} (default ${DEFAULT_SCENE_FRAMES}, or the model's). A --prompt with
"Scene 1: … Scene 2: …", "… then cut to …" or one scene per line is read the same way and said so.
--preset NAME: one of the model's clip size presets (manifest presets; a refusal lists them), default
the model's own; a size whose attention scores this device cannot hold in one buffer is refused with
the numbers before any step (docs/model-package.md "Presets").
--guidance is the CFG scale w (1 = off); --inner-guidance is VideoJAM's w2 (0 = off), applied as
(1+w1+w2)·u(y) − w1·u(∅) − w2·u(y, no motion) with w1 = w − 1 (docs/model-package.md).
--contrast is contrast guidance's w3 (0 = off), shape emphasis: one more pass reads the prompt with
its object nouns replaced by a neutral noun (the package's text.contrast) and adds
w3·(u(y) − u(y, nouns neutral)); a prompt naming no such noun, or a --scene plan, gets no pass.
--best-of N (${describeLimit(BEST_OF)}): N takes from seeds seed, seed+1, …, scored by the model's
reward model (VQ visual quality, MQ motion quality, TA text alignment); the best by --rank-by
(overall = VQ + MQ + TA; equal scores go to the lower seed) is written to --out, and every take's
scores are printed, best first. Needs a model package with a reward model.
How the VAE decodes (docs/model-package.md "Decoding in pieces"; default auto, the package decides):
--vae-graphs frames decodes with the package's frame-by-frame decoder, a group of frames per call
(an error if it has none), whole with the one-call decoder; --vae-tiling TILE,OVERLAP cuts each
call into latent tiles of TILE pixels sharing OVERLAP (2·OVERLAP < TILE), off never tiles;
--vae-memory-budget MIB sizes the tiles so one decoder call fits in MIB MiB (with --vae-tiling
auto; a package whose vaeTiling gives no bytesPerLatentPixel refuses it). The status line says
which ran.
--keep-text-encoder: a package whose text encoder is in parts (a converted Wan or LTX model) runs
them one at a time, reading each part's files for every new text it encodes; with this flag each
part's session stays loaded after its first use, so the texts after the first (best-of scoring,
the bench's runs) read and make nothing, at the cost of every part's weights in memory at once
(the status line says how much). Where that would not fit the 4 GiB WebAssembly memory beside the
rest, the parts stay one at a time and a note says why.`;
