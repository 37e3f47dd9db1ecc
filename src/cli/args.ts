/**
 * Command-line parsing for `vidlet generate` and `vidlet bench` (pure: argv in, options out, so
 * it is unit-tested). Unset generation settings stay undefined here and are filled from the
 * model's manifest defaults once it is loaded.
 */
import { parseArgs } from 'node:util';
import type { SamplerName, Variant } from '../engine/types';

export const DEFAULT_MODEL_DIR = 'public/models/vidlet-tiny';
const SAMPLERS: readonly SamplerName[] = ['euler', 'heun', 'euler-ancestral'];
const VARIANTS: readonly (Variant | 'auto')[] = ['auto', 'fp32', 'fp16', 'int8', 'q4'];

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommonOptions {
  model: string;
  json: boolean;
  threads?: number;
  variant: Variant | 'auto';
}

export interface GenerateOptions extends CommonOptions {
  command: 'generate';
  prompt: string;
  negative?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  innerGuidance?: number;
  sampler?: SamplerName;
  out: string;
  decodeMotion: boolean;
}

export interface BenchOptions extends CommonOptions {
  command: 'bench';
  steps?: number;
  /** Timed runs per component after the warm-up run. */
  runs: number;
  guidance?: number;
  innerGuidance?: number;
}

export type CliOptions = GenerateOptions | BenchOptions | { command: 'help' };

export const USAGE = `Usage:
  vidlet generate --prompt "…" [--negative "…"] [--seed N] [--steps N] [--guidance X]
                  [--inner-guidance W2] [--sampler euler|heun|euler-ancestral]
                  [--model DIR] [--out clip.mp4|clip.webm|clip.gif|frames.zip]
                  [--variant auto|fp32|int8|…] [--threads N] [--decode-motion] [--json]
  vidlet bench [--steps N] [--runs N] [--guidance X] [--inner-guidance W2]
               [--model DIR] [--variant …] [--threads N] [--json]

generate  makes one clip with the engine the web page uses (onnxruntime-web, wasm) and writes it
          with its settings embedded. Unset settings come from the model's defaults; the seed
          defaults to a random one (printed). Progress goes to stderr; --json prints one JSON
          object (settings, output, timings, unknown words, inner guidance) on stdout.
bench     times each component (text encoder, one denoiser step at the real guidance batch,
          preview decoder, VAE decoder) in onnxruntime-web (wasm) and onnxruntime-node (CPU) on
          the same files with the same thread count, and prints the ratios ours/native.
Default model folder: ${DEFAULT_MODEL_DIR}`;

export function parseCli(argv: readonly string[]): CliOptions {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'generate' && command !== 'bench') throw new UsageError(`Unknown command "${command}": use "generate" or "bench" (vidlet --help).`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        prompt: { type: 'string', short: 'p' },
        negative: { type: 'string' },
        seed: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        'inner-guidance': { type: 'string' },
        sampler: { type: 'string' },
        model: { type: 'string' },
        out: { type: 'string', short: 'o' },
        variant: { type: 'string' },
        threads: { type: 'string' },
        runs: { type: 'string' },
        'decode-motion': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (vidlet --help lists the options).`);
  }
  if (values.help) return { command: 'help' };
  const str = (k: string) => values[k] as string | undefined;
  const variant = str('variant') ?? 'auto';
  if (!VARIANTS.includes(variant as Variant)) throw new UsageError(`--variant must be one of ${VARIANTS.join(', ')}, got "${variant}".`);
  const common: CommonOptions = {
    model: str('model') ?? DEFAULT_MODEL_DIR,
    json: values.json === true,
    threads: int(str('threads'), '--threads', 1, 64),
    variant: variant as Variant | 'auto',
  };
  const guidance = num(str('guidance'), '--guidance', 0);
  const innerGuidance = num(str('inner-guidance'), '--inner-guidance', 0);
  const steps = int(str('steps'), '--steps', 1, 1000);

  if (command === 'bench') {
    for (const k of ['prompt', 'negative', 'seed', 'sampler', 'out', 'decode-motion']) {
      if (values[k] !== undefined) throw new UsageError(`--${k} is a generate option; bench takes --steps, --runs, --guidance, --inner-guidance, --model, --variant, --threads, --json.`);
    }
    return { command, ...common, steps, runs: int(str('runs'), '--runs', 1, 1000) ?? 5, guidance, innerGuidance };
  }

  const prompt = str('prompt');
  if (prompt === undefined || prompt.trim() === '') throw new UsageError('generate needs --prompt "what the clip shows".');
  if (values.runs !== undefined) throw new UsageError('--runs is a bench option.');
  const sampler = str('sampler');
  if (sampler !== undefined && !SAMPLERS.includes(sampler as SamplerName)) {
    throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}, got "${sampler}".`);
  }
  const seed = str('seed');
  let seedValue: number | undefined;
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed) || !Number.isSafeInteger(Number(seed))) throw new UsageError(`--seed must be a whole number ≥ 0, got "${seed}".`);
    seedValue = Number(seed);
  }
  return {
    command,
    ...common,
    prompt,
    negative: str('negative'),
    seed: seedValue,
    steps,
    guidance,
    innerGuidance,
    sampler: sampler as SamplerName | undefined,
    out: str('out') ?? 'clip.mp4',
    decodeMotion: values['decode-motion'] === true,
  };
}

function num(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < min) throw new UsageError(`${flag} must be a number ≥ ${min}, got "${v}".`);
  return x;
}

function int(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!/^\d+$/.test(v) || x < min || x > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${v}".`);
  return x;
}
