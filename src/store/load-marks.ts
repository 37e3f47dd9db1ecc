/**
 * Where a model load's time goes (#13 "Fast when warm"), as User Timing measures on the context's
 * own performance timeline (the worker's in the page, the process's in Node): cheap, always on,
 * and they change nothing a load does. The worker hands them to the page with
 * EngineHost.diagnostics(); scripts/page-timings.ts reads them after a reload.
 *
 * Names (LOAD_MEASURES): one entry per phase of VidletEngine.loadModel, and per file for the
 * store's IndexedDB read and sha256 check, with `detail` naming the file or session. Each load
 * clears the entries of the one before, so the timeline holds one load's worth at most.
 *
 * A generation's phases (GENERATE_MEASURES, #13 "first preview ≤ 300 ms") the same way: the page's
 * work before it posts the request and the first step's arrival, the worker's text encoder, each
 * denoiser call, each preview decode and each step's post back. Each generation clears the one
 * before (the page's and the worker's timelines each hold one generation's worth).
 */

export const LOAD_MEASURES = {
  /** VidletEngine.loadModel, from its call to the ModelInfo. */
  load: 'vidlet:load',
  manifest: 'vidlet:load:manifest',
  /** Backend probing (navigator.gpu.requestAdapter in a browser). */
  probe: 'vidlet:load:probe',
  tokenizer: 'vidlet:load:tokenizer',
  /** Every model file through the store (cache read + verification, or download). */
  files: 'vidlet:load:files',
  /** One onnxruntime session; the first of a worker also starts onnxruntime's wasm runtime. detail: { key, component, variant }. */
  session: 'vidlet:load:session',
  /** Shipped adapters' descriptions (AdapterShelf.describe). */
  adapters: 'vidlet:load:adapters',
  /** The store's clean-up of older versions (ModelFileStore.packageLoaded). */
  prune: 'vidlet:load:prune',
  /** Browser store: one file read from IndexedDB. detail: { file, bytes }. */
  cacheRead: 'vidlet:store:cache-read',
  /** Browser store: sha256 check of one file (from the cache or just downloaded). detail: { file, bytes }. */
  sha256: 'vidlet:store:sha256',
  /** Browser store: one file's download. detail: { file, bytes }. */
  download: 'vidlet:store:download',
  /** Page (EngineSession.ensureModel): from asking for the model to its ready state, worker round trips included. */
  pageLoad: 'vidlet:page:model-load',
  /** Page: what runs after the engine's load and before ready (EngineSessionOptions.onModelLoaded: the user's adapters). */
  pageAfterLoad: 'vidlet:page:after-load',
} as const;

export const GENERATE_MEASURES = {
  /** VidletEngine.generate, from its call to its result (or its cancellation). */
  generate: 'vidlet:generate',
  /** The request's adapters put into the LoRA slots (AdapterShelf.apply). */
  adapters: 'vidlet:generate:adapters',
  /** The text conditioning: tokenizer and text encoder, or the cache. detail: { texts, cached }. */
  text: 'vidlet:generate:text',
  /** The tokenizer alone (inside `text`). */
  tokenize: 'vidlet:generate:tokenize',
  /** One batched denoiser call (every guidance pass). detail: { call, batch }. */
  denoise: 'vidlet:generate:denoise',
  /** One step's preview decode. detail: { step }. */
  preview: 'vidlet:generate:preview',
  /** Worker: handing one step's preview to the page (the callback's postMessage). detail: { step }. */
  postStep: 'vidlet:generate:post-step',
} as const;

/** The page's side of a generation (EngineSession.generate), cleared by the page, not the engine. */
export const PAGE_GENERATE_MEASURES = {
  /** From EngineSession.generate's call to the request's posting (engine.generate called). */
  request: 'vidlet:page:generate-request',
  /** From EngineSession.generate's call to the first step's preview arriving. */
  firstStep: 'vidlet:page:first-step',
} as const;

export interface MeasureEntry {
  name: string;
  /** ms on the timeline of the context that recorded it (see timeOrigin). */
  startTime: number;
  duration: number;
  detail?: unknown;
}

type Perf = Pick<Performance, 'now' | 'measure' | 'clearMeasures' | 'getEntriesByType'>;

function perf(): Perf | undefined {
  const p = (globalThis as { performance?: Perf }).performance;
  return p && typeof p.measure === 'function' && typeof p.now === 'function' ? p : undefined;
}

/** Runs `task` and records it as measure `name` (also when it throws); timing never fails the task. */
export async function measured<T>(name: string, task: () => Promise<T>, detail?: unknown): Promise<T> {
  const start = timelineNow();
  try {
    return await task();
  } finally {
    measureSince(name, start, detail);
  }
}

/** Now on this context's timeline (undefined where there is none), the start of a later measureSince. */
export function timelineNow(): number | undefined {
  return perf()?.now();
}

/** Records measure `name` from `start` (timelineNow()) to now: for work that is not one awaited task. */
export function measureSince(name: string, start: number | undefined, detail?: unknown): void {
  const p = perf();
  if (!p || start === undefined) return;
  try {
    p.measure(name, detail === undefined ? { start } : { start, detail });
  } catch {
    // a timeline that refuses the entry (an old runtime) only loses the figure
  }
}

/** Forgets the measures of an earlier load (called when a load starts). */
export function clearLoadMeasures(): void {
  clear(LOAD_MEASURES);
}

/** Forgets the engine's measures of an earlier generation (called when a generation starts). */
export function clearGenerateMeasures(): void {
  clear(GENERATE_MEASURES);
}

/** Forgets the page's measures of an earlier generation. */
export function clearPageGenerateMeasures(): void {
  clear(PAGE_GENERATE_MEASURES);
}

/** This context's load measures, as plain objects (they cross postMessage). */
export function loadMeasures(): MeasureEntry[] {
  return entries(LOAD_MEASURES);
}

/** This context's engine measures of the last generation, as plain objects. */
export function generateMeasures(): MeasureEntry[] {
  return entries(GENERATE_MEASURES);
}

function clear(group: Record<string, string>): void {
  const p = perf();
  if (!p || typeof p.clearMeasures !== 'function') return;
  for (const name of Object.values(group)) p.clearMeasures(name);
}

function entries(group: Record<string, string>): MeasureEntry[] {
  const p = perf();
  if (!p || typeof p.getEntriesByType !== 'function') return [];
  const names = new Set<string>(Object.values(group));
  return p
    .getEntriesByType('measure')
    .filter((e) => names.has(e.name))
    .map((e) => {
      const detail = (e as PerformanceEntry & { detail?: unknown }).detail;
      return { name: e.name, startTime: e.startTime, duration: e.duration, ...(detail == null ? {} : { detail }) };
    });
}
