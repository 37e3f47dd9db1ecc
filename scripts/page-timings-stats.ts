/**
 * The pure part of scripts/page-timings.ts (#13 "Fast when warm"): medians, spreads, page/Node
 * ratios, a warm start's time split into phases, and the plain-text tables. Unit-tested in
 * tests/unit/page-timings-stats.test.ts.
 */

/** A User Timing measure as src/store/load-marks.ts records it. */
export interface Measure {
  name: string;
  startTime: number;
  duration: number;
  detail?: unknown;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** max / min: 1 is perfectly steady; NaN for no runs. */
export function spread(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  return Math.max(...xs) / Math.min(...xs);
}

/** Per-run page/Node ratios (runs paired in order) and their median. */
export function pairedRatios(page: readonly number[], node: readonly number[]): { ratios: number[]; median: number } {
  if (page.length !== node.length) throw new Error(`${page.length} page runs but ${node.length} Node runs: they are paired`);
  const ratios = page.map((p, i) => p / node[i]!);
  return { ratios, median: median(ratios) };
}

export interface Phase {
  label: string;
  ms: number;
  /** Parts of this phase worth naming (they sum to at most `ms`). */
  parts?: { label: string; ms: number }[];
}

export interface WarmStartInput {
  /** The page's own measures (vidlet:page:*), on the page's timeline (0 = navigation start). */
  page: readonly Measure[];
  /** The worker's measures (vidlet:load*, vidlet:store:*), on the worker's timeline. */
  worker: readonly Measure[];
  /** worker performance.timeOrigin − page performance.timeOrigin, ms. */
  workerOffsetMs: number;
  /** The navigation's domContentLoadedEventEnd (the app's module script has run), page timeline. */
  domContentLoadedMs: number;
}

export interface WarmStart {
  /** Navigation start → model ready, page timeline. */
  totalMs: number;
  /** In order; they sum to totalMs. */
  phases: Phase[];
}

const sum = (ms: readonly Measure[]) => ms.reduce((a, m) => a + m.duration, 0);
const only = (ms: readonly Measure[], name: string) => ms.filter((m) => m.name === name);

function one(ms: readonly Measure[], name: string, where: string): Measure {
  const found = only(ms, name);
  if (found.length !== 1) throw new Error(`expected one ${name} measure in the ${where}, found ${found.length}`);
  return found[0]!;
}

/**
 * A warm start (reload → model ready) split into consecutive phases on the page's timeline:
 * page and app script, the app's start until it asks for the model (worker start, the model
 * cache's listing), the request reaching the engine, the engine's load phases (files split into
 * IndexedDB reads, sha256 checks and the rest; sessions with the first one, which also starts
 * onnxruntime's wasm runtime, named), and the engine's answer reaching the page's ready state.
 */
export function warmStartPhases(input: WarmStartInput): WarmStart {
  const pageLoad = one(input.page, 'vidlet:page:model-load', 'page');
  const load = one(input.worker, 'vidlet:load', 'worker');
  const toPage = (t: number) => t + input.workerOffsetMs;
  const totalMs = pageLoad.startTime + pageLoad.duration;
  const engineStart = toPage(load.startTime);
  const engineEnd = engineStart + load.duration;
  const phases: Phase[] = [
    { label: 'page and app script (navigation → DOMContentLoaded)', ms: input.domContentLoadedMs },
    { label: 'app start → model asked for (worker start, model cache listing)', ms: pageLoad.startTime - input.domContentLoadedMs },
    { label: 'request → engine (message, worker script)', ms: engineStart - pageLoad.startTime },
  ];
  const w = input.worker;
  const named = (name: string) => sum(only(w, name));
  const manifest = named('vidlet:load:manifest');
  const probe = named('vidlet:load:probe');
  const tokenizer = named('vidlet:load:tokenizer');
  const files = named('vidlet:load:files');
  const sessions = only(w, 'vidlet:load:session').sort((a, b) => a.startTime - b.startTime);
  const adapters = named('vidlet:load:adapters');
  const prune = named('vidlet:load:prune');
  const cacheRead = named('vidlet:store:cache-read');
  const sha = named('vidlet:store:sha256');
  const download = named('vidlet:store:download');
  phases.push(
    { label: 'engine: manifest (network, no-cache)', ms: manifest },
    { label: 'engine: backend probe (navigator.gpu)', ms: probe },
    { label: 'engine: tokenizer (network, no-cache)', ms: tokenizer },
    {
      label: 'engine: model files',
      ms: files,
      parts: [
        { label: 'IndexedDB read', ms: cacheRead },
        { label: 'sha256 check', ms: sha },
        ...(download > 0 ? [{ label: 'download (not warm!)', ms: download }] : []),
        { label: 'other', ms: files - cacheRead - sha - download },
      ],
    },
    {
      label: `engine: onnxruntime sessions (${sessions.length})`,
      ms: sum(sessions),
      parts: sessions.map((s, i) => ({
        label: `${(s.detail as { key?: string } | undefined)?.key ?? 'session'}${i === 0 ? ' (+ wasm runtime start)' : ''}`,
        ms: s.duration,
      })),
    },
    { label: 'engine: adapter descriptions (network, no-cache)', ms: adapters },
    { label: 'engine: old-version clean-up', ms: prune },
    { label: 'engine: other', ms: load.duration - manifest - probe - tokenizer - files - sum(sessions) - adapters - prune },
  );
  const after = sum(only(input.page, 'vidlet:page:after-load'));
  phases.push(
    { label: 'engine → page ready (message, user adapters)', ms: totalMs - engineEnd, parts: [{ label: 'user adapters (onModelLoaded)', ms: after }] },
  );
  return { totalMs, phases };
}

export interface FirstPreviewInput {
  /** Generate's click event, page timeline. */
  clickAt: number;
  /** The first step's preview drawn on the canvas, page timeline. */
  drawnAt: number;
  /** The page's generation measures (vidlet:page:generate-request, vidlet:page:first-step). */
  page: readonly Measure[];
  /** The worker's generation measures (vidlet:generate*), on the worker's timeline. */
  worker: readonly Measure[];
  /** worker performance.timeOrigin − page performance.timeOrigin, ms. */
  workerOffsetMs: number;
}

/**
 * Generate's click → the first step's preview drawn, split into consecutive phases on the page's
 * timeline: the app until EngineSession.generate, the page's work before it posts the request,
 * the message to the engine, the engine's work up to the first preview (adapters, text encoder,
 * the denoiser calls of step 1, the preview decode, the rest), the preview's message back, and
 * the page's render and draw. The phases sum to click → drawn.
 */
export function firstPreviewPhases(input: FirstPreviewInput): WarmStart {
  const request = one(input.page, 'vidlet:page:generate-request', 'page');
  const firstStep = one(input.page, 'vidlet:page:first-step', 'page');
  const toPage = (t: number) => t + input.workerOffsetMs;
  const w = input.worker;
  const generate = one(w, 'vidlet:generate', 'worker');
  const post = only(w, 'vidlet:generate:post-step').sort((a, b) => a.startTime - b.startTime)[0];
  if (!post) throw new Error('no vidlet:generate:post-step measure in the worker: the first step was never sent');
  // The engine's part: from its start to the first step's post, and what ran in it.
  const before = (m: Measure) => m.startTime < post.startTime;
  const named = (name: string) => sum(only(w, name).filter(before));
  const adapters = named('vidlet:generate:adapters');
  const text = named('vidlet:generate:text');
  const tokenize = named('vidlet:generate:tokenize');
  const textRun = only(w, 'vidlet:generate:text').find(before);
  const cached = (textRun?.detail as { cached?: boolean } | undefined)?.cached === true;
  const denoise = only(w, 'vidlet:generate:denoise').filter(before);
  const preview = named('vidlet:generate:preview');
  const engineMs = post.startTime + post.duration - generate.startTime;
  const postedAt = toPage(post.startTime + post.duration);
  const arrivedAt = firstStep.startTime + firstStep.duration;
  const phases: Phase[] = [
    { label: 'click → EngineSession.generate (app)', ms: request.startTime - input.clickAt },
    { label: 'page: before posting the request', ms: request.duration },
    { label: 'request → engine (message)', ms: toPage(generate.startTime) - (request.startTime + request.duration) },
    { label: 'engine: adapters', ms: adapters },
    { label: `engine: text encoder${cached ? ' (cached)' : ''}`, ms: text, parts: [{ label: 'tokenizer', ms: tokenize }] },
    {
      label: `engine: denoiser, step 1 (${denoise.length} call${denoise.length === 1 ? '' : 's'})`,
      ms: sum(denoise),
      parts: denoise.map((d, i) => ({ label: `call ${i + 1} (batch ${(d.detail as { batch?: number } | undefined)?.batch ?? '?'})`, ms: d.duration })),
    },
    { label: 'engine: preview decode', ms: preview },
    { label: 'engine: other (guidance, scheduler, preview frames, post)', ms: engineMs - adapters - text - sum(denoise) - preview },
    { label: 'preview → page (message)', ms: arrivedAt - postedAt },
    { label: 'page: render and draw', ms: input.drawnAt - arrivedAt },
  ];
  return { totalMs: input.drawnAt - input.clickAt, phases };
}

/** Plain-text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

/** 'ok' / 'MISSED' for a figure against an upper bound. */
export function verdict(value: number, atMost: number): string {
  return Number.isFinite(value) && value <= atMost ? 'ok' : 'MISSED';
}
