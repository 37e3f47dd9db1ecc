/**
 * `vidlet bench`: the same model files and the same engine code on two runtimes, in one run on
 * one machine (numbers are ratios, DESIGN.md §5):
 *   ours   = onnxruntime-web, wasm backend (what the page runs when there is no GPU)
 *   native = onnxruntime-node, CPU execution provider, the same thread count
 * Each component's session.run is timed inside whole generations at the real batch size
 * (the denoiser at B = 1–4: the guidance passes the manifest's defaults plan for the bench's
 * prompt). Generations alternate between the two runtimes so that load from other processes hits
 * both alike. Medians are reported. A text encoder in parts (docs/model-package.md "Parts") has no
 * session of its own: each prompt reads, makes, runs and releases its parts' sessions in turn, so
 * its row times that, the whole encoding of the prompt (GenerateResult.timings.textEncoderMs,
 * the text cache off), not one session.run. With --keep-text-encoder the part sessions are made at
 * the warm-up and kept (LoadOptions.keepTextEncoder), so the row times the parts' runs alone.
 */
import { availableParallelism } from 'node:os';
import * as ortWeb from 'onnxruntime-web';
import { MAX_WASM_THREADS } from '../engine/backend';
import { planSessions, RUNTIME_COMPONENTS, type RuntimeComponent } from '../engine/load-plan';
import { GENERATE_MEASURES, generateMeasures } from '../store/load-marks';
import type { Ort } from '../engine/sessions';
import type { GenerateRequest } from '../engine/types';
import type { Manifest } from '../store/types';
import type { BenchOptions } from './args';
import { loadNodeEngine } from './node-engine';
import { formatMs } from './progress';

/** The components a generation runs, in the engine's own list. */
const COMPONENTS = RUNTIME_COMPONENTS;
type Comp = RuntimeComponent;

export interface BenchRow {
  component: Comp | 'generation';
  calls: number;
  /** Batch of each call (denoiser: guidance passes; text encoder: prompt + negative, + contrast reading). */
  batch: number;
  oursMs: number;
  nativeMs: number;
  /** oursMs / nativeMs: how many times slower the web engine is. */
  ratio: number;
  /** A text encoder in parts: how many; its times are whole prompts through every part (see above). */
  parts?: number;
  /** A text encoder in parts kept loaded (--keep-text-encoder): its times are the kept parts' runs. */
  partsKept?: boolean;
}

export interface BenchReport {
  model: string;
  variant: string;
  threads: number;
  steps: number;
  repeats: number;
  guidance: number;
  innerGuidance: number;
  contrast: number;
  rows: BenchRow[];
  ours: string;
  native: string;
}

type Timings = Record<Comp, { ms: number[]; batch: number }>;

/** Wraps an onnxruntime module so every session.run is timed under its component's name. */
export function timedOrt(ort: Ort, manifest: () => Manifest | null, timings: Timings): Ort {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (...a: unknown[]) => Promise<ortWeb.InferenceSession>;
  const InferenceSession = {
    create: async (...args: unknown[]) => {
      const s = await create(...args);
      const m = manifest();
      const comp = m && COMPONENTS.find((c) => Object.values(m.components[c].outputs).every((o) => s.outputNames.includes(o)) && Object.values(m.components[c].inputs).every((i) => s.inputNames.includes(i)));
      if (comp) {
        const run = s.run.bind(s) as (...a: unknown[]) => Promise<unknown>;
        (s as unknown as { run: unknown }).run = async (feeds: Record<string, ortWeb.Tensor>, ...rest: unknown[]) => {
          const t0 = performance.now();
          const out = await run(feeds, ...rest);
          timings[comp].ms.push(performance.now() - t0);
          timings[comp].batch = Object.values(feeds)[0]!.dims[0] ?? 1;
          return out;
        };
      }
      return s;
    },
  };
  return new Proxy(ort, { get: (target, key) => (key === 'InferenceSession' ? InferenceSession : (target as Record<string | symbol, unknown>)[key]) }) as Ort;
}

/**
 * onnxruntime-node, the native baseline. It is a dev dependency: its native binaries are large and
 * `vidlet generate` never needs them, so an install without dev dependencies (`npm install
 * --omit=dev`) lacks it, and the bench says so instead of failing on a bare module error.
 */
async function nativeOrt(): Promise<Ort> {
  try {
    return (await import('onnxruntime-node')) as unknown as Ort;
  } catch (e) {
    throw new Error(
      'vidlet bench compares with onnxruntime-node, a development dependency this install does not have ' +
        `(${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Run npm install in the repository (with dev dependencies) to add it; vidlet generate does not need it.`,
      { cause: e },
    );
  }
}

export async function runBench(opts: BenchOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchReport> {
  const threads = opts.threads ?? Math.min(MAX_WASM_THREADS, availableParallelism());
  const native = await nativeOrt();
  const empty = (): Timings => ({ textEncoder: { ms: [], batch: 0 }, denoiser: { ms: [], batch: 0 }, previewDecoder: { ms: [], batch: 0 }, vaeDecoder: { ms: [], batch: 0 } });
  const tOurs = empty();
  const tNative = empty();
  let manifest: Manifest | null = null;
  const { parseManifest } = await import('../store/manifest');
  const { NodeFolderStore } = await import('../store/node-store');
  const { resolve } = await import('node:path');
  manifest = parseManifest(await new NodeFolderStore().readManifest(resolve(opts.model)));

  log(`loading ${opts.model} twice (onnxruntime-web wasm, onnxruntime-node cpu), ${threads} thread(s)…`);
  const common = { ...opts, threads, backend: 'wasm' as const };
  // Text caching off: every timed generation runs its text encoder, as a new prompt does.
  const ours = await loadNodeEngine(common, undefined, timedOrt(ortWeb, () => manifest, tOurs), { cacheText: false });
  // Native onnxruntime gives each session its own thread pool, whose threads spin after a run: the
  // preview decoder's spun through every next denoiser call on 2 cores and made native's step 1.7×
  // slower than it is (58 vs 34 ms, 6 Dec). The baseline is native at its best, so no spinning.
  const nat = await loadNodeEngine(common, undefined, timedOrt(native, () => manifest, tNative), {
    cacheText: false,
    sessionOptions: () => ({
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
      extra: { session: { 'intra_op.allow_spinning': '0' } },
    }),
  });
  const d = ours.info.defaults;
  const request: GenerateRequest = {
    prompt: 'a red ball bounces from left to right on a blue background',
    seed: 1, steps: opts.steps ?? d.steps, guidance: d.guidance, innerGuidance: d.innerGuidance, contrast: d.contrast, sampler: 'euler',
  };
  // Warm-up (first runs allocate and JIT); not timed. One step, or the count a distilled model fixes.
  const warmSteps = ours.info.fixedSteps ?? 1;
  await ours.engine.generate({ ...request, steps: warmSteps });
  await nat.engine.generate({ ...request, steps: warmSteps });
  for (const t of [tOurs, tNative]) for (const c of COMPONENTS) t[c].ms.length = 0;

  // A text encoder in parts runs no session the timed modules can name: its row is the encoding's time.
  const textSpec = planSessions(manifest, ours.info.backend, opts.variant, ours.info.vaeDecode?.graphs ?? 'whole').find((s) => s.key === 'textEncoder');
  const parts = textSpec?.parts?.length;
  /** The texts the last generation encoded in one call (the engine's own measure, load-marks.ts). */
  const textBatch = () => (generateMeasures().find((e) => e.name === GENERATE_MEASURES.text)?.detail as { texts?: number } | undefined)?.texts ?? 0;
  const totOurs: number[] = [];
  const totNative: number[] = [];
  for (let i = 0; i < opts.repeats; i++) {
    const a = await ours.engine.generate(request);
    totOurs.push(a.timings.totalMs);
    if (parts) tOurs.textEncoder = { ms: [...tOurs.textEncoder.ms, a.timings.textEncoderMs], batch: textBatch() };
    const b = await nat.engine.generate(request);
    totNative.push(b.timings.totalMs);
    if (parts) tNative.textEncoder = { ms: [...tNative.textEncoder.ms, b.timings.textEncoderMs], batch: textBatch() };
    log(`generation ${i + 1}/${opts.repeats}: ours ${formatMs(a.timings.totalMs)}, native ${formatMs(b.timings.totalMs)}`);
  }
  await ours.engine.unload();
  await nat.engine.unload();

  const partsKept = ours.info.textEncoderParts?.kept === true && nat.info.textEncoderParts?.kept === true;
  const rows: BenchRow[] = COMPONENTS.map((c) => {
    const o = median(tOurs[c].ms);
    const n = median(tNative[c].ms);
    return { component: c, calls: tOurs[c].ms.length, batch: tOurs[c].batch, oursMs: o, nativeMs: n, ratio: o / n, ...(c === 'textEncoder' && parts ? { parts, ...(partsKept ? { partsKept } : {}) } : {}) };
  });
  const go = median(totOurs);
  const gn = median(totNative);
  rows.push({ component: 'generation', calls: opts.repeats, batch: tOurs.denoiser.batch, oursMs: go, nativeMs: gn, ratio: go / gn });
  return {
    model: ours.info.name, variant: ours.info.variant, threads, steps: request.steps, repeats: opts.repeats,
    guidance: request.guidance, innerGuidance: request.innerGuidance, contrast: d.contrast, rows,
    ours: `onnxruntime-web ${ortWeb.env.versions?.web ?? ''} (wasm, ${threads} thread${threads === 1 ? '' : 's'})`,
    native: `onnxruntime-node ${(native.env.versions as Record<string, string> | undefined)?.node ?? ''} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`,
  };
}

export function formatBenchTable(r: BenchReport): string {
  const lines = [
    `${r.model} (${r.variant}), ${r.steps} steps, guidance ${r.guidance}, inner-guidance ${r.innerGuidance}, contrast ${r.contrast}, median of ${r.repeats} generations`,
    `ours: ${r.ours}   native: ${r.native}`,
    '',
    `${'component'.padEnd(16)}${'batch'.padStart(6)}${'calls'.padStart(7)}${'ours'.padStart(11)}${'native'.padStart(11)}${'ours/native'.padStart(13)}`,
  ];
  for (const row of r.rows) {
    lines.push(
      `${(row.parts ? `${row.component}*` : row.component).padEnd(16)}${String(row.batch).padStart(6)}${String(row.calls).padStart(7)}${formatMs(row.oursMs).padStart(11)}${formatMs(row.nativeMs).padStart(11)}${`${row.ratio.toFixed(2)}×`.padStart(13)}`,
    );
  }
  const parted = r.rows.find((row) => row.parts);
  if (parted) {
    lines.push('', parted.partsKept
      ? `* in ${parted.parts} parts, kept loaded: per call, each kept part's session run in turn (a whole prompt, not one session.run)`
      : `* in ${parted.parts} parts: per call, every part's files read, its session made, run and released (a whole prompt, not one session.run)`);
  }
  return lines.join('\n');
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
