/**
 * #13 "Fast when warm": the page's timings, measured in one run on one machine.
 *
 *   nice -n 19 npx tsx scripts/page-timings.ts [--runs 5] [--pause-ms 1000] [--json .tmp/page-timings.json] [--warm-only] [--dist DIR]
 *
 * The built app (tests/browser/build.ts) served by a plain static server (static-server.ts, with
 * the COOP/COEP headers a host must send) in headless Chromium (harness.ts), the embedded model
 * (public/models/vidlet-tiny). In order:
 *
 * 1. Warm start. A first load stores the model in IndexedDB; then the page is reloaded `--runs`
 *    times, each time timed from navigation start to the model's ready state (the page's own
 *    `vidlet:page:model-load` measure), and split into phases with the measures the worker records
 *    (src/store/load-marks.ts, read with EngineClient.diagnostics()): IndexedDB reads, sha256
 *    checks, each onnxruntime session, network reads of the small JSON files, and the rest.
 * 2. First preview. With the model loaded, 2 × `--runs` generations of different prompts (a new
 *    prompt each: its text is not cached), alternately clicked as soon as the prompt is typed and
 *    `--pause-ms` (default 1000) after it (the page encodes the prompt when typing pauses):
 *    Generate's click event → the first step's preview drawn on the live-preview canvas (and the
 *    next animation frame, when it is on screen); each run is cancelled once its preview is drawn.
 * 3. Page vs Node. The same request — the one the page sends at the default settings (20 steps),
 *    captured from EngineClient.generate, so prompt, seed, guidance, sampler and adapters are the
 *    page's — through the page (click → result in the page; also the worker's own engine time and
 *    click → done, which adds the clip's encoding and the history write) and through the Node
 *    engine (src/cli/node-engine.ts, onnxruntime-web wasm, as `vidlet generate`) with the page's
 *    variant and thread count, alternating page, Node, `--runs` times after one untimed warm-up on
 *    each side (both then have the prompt's text-encoder output cached, as a re-roll would).
 *    Reported: every run, the median of the per-pair ratios page/Node, and max/min per side.
 *
 * --warm-only stops after 1 (its table is printed as soon as it is measured). --dist serves a build
 * made elsewhere instead of building this tree (e.g. an earlier commit's `vite build` output, for a
 * before/after of the warm start on one machine in one sitting).
 *
 * Targets (#13): warm start ≤ 2 s, first preview ≤ 300 ms, page ≤ 1.2× Node and steady.
 * Prints tables; writes everything measured to --json (default .tmp/page-timings.json).
 * On a busy machine the figures mean little: run it on a quiet one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { builtApp, fillForm, launchApp, waitForRunEnd } from '../tests/browser/harness';
import { startStaticServer } from '../tests/browser/static-server';
import { loadNodeEngine } from '../src/cli/node-engine';
import type { AdapterSettings, GenerateRequest, ModelInfo } from '../src/engine/types';
import type { EngineDiagnostics } from '../src/worker/engine-host';
import { firstPreviewPhases, median, ms, pairedRatios, ratio, spread, table, verdict, warmStartPhases, type Measure, type WarmStart } from './page-timings-stats';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    json: { type: 'string', default: '.tmp/page-timings.json' },
    prompt: { type: 'string', default: 'a red ball bounces on green grass' },
    'pause-ms': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '7' },
    'warm-only': { type: 'boolean', default: false },
    dist: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
/** Typing's pause before Generate in part 2's second half: the page encodes the prompt then (prompt-form.ts). */
const PAUSE_MS = Number(values['pause-ms']);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${values.runs}`);
const ROOT = resolve(import.meta.dirname, '..');
const MODEL_DIR = resolve(ROOT, 'public/models/vidlet-tiny');
const TARGETS = { warmStartMs: 2000, firstPreviewMs: 300, pageOverNode: 1.2 };
const log = (s: string) => process.stderr.write(`${s}\n`);

type Request = GenerateRequest & AdapterSettings;

/** What the in-page probe records for one generation (page timeline, ms). */
interface RunMarks {
  clickAt?: number;
  previewDrawnAt?: number;
  previewPaintedAt?: number;
  resultAt?: number;
  doneAt?: number;
  request?: Request;
  engineTotalMs?: number;
  checksum?: number;
}

/**
 * Installs (once per page load) the probe: a wrapper of EngineClient.generate that keeps the
 * request and the result's arrival, and a run-state listener for the first drawn preview and the
 * end. `arm()` starts a new record; the click is taken from the Generate click event itself.
 */
async function armProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Frames = { data: Uint8ClampedArray };
    type W = {
      vidlet: {
        engine: { generate(r: unknown, cb: unknown): Promise<{ timings: { totalMs: number }; video: Frames }> };
        session: { run: { subscribe(f: (s: { kind: string; step?: { step: number } }) => void): void } };
      };
      __marks: Record<string, unknown>;
      __probe?: boolean;
    };
    const w = window as unknown as W;
    w.__marks = {};
    if (w.__probe) return;
    w.__probe = true;
    const engine = w.vidlet.engine;
    const generate = engine.generate.bind(engine);
    engine.generate = async (request, callbacks) => {
      w.__marks.request = JSON.parse(JSON.stringify(request));
      const result = await generate(request, callbacks);
      w.__marks.resultAt = performance.now();
      w.__marks.engineTotalMs = result.timings.totalMs;
      let sum = 0;
      const d = result.video.data;
      for (let i = 0; i < d.length; i++) sum = (sum + d[i]! * ((i % 251) + 1)) >>> 0;
      w.__marks.checksum = sum;
      return result;
    };
    document.addEventListener(
      'click',
      (e) => {
        const path = e.composedPath() as HTMLElement[];
        if (w.__marks.clickAt === undefined && path.some((el) => el.tagName === 'BUTTON' && el.textContent?.trim() === 'Generate')) w.__marks.clickAt = performance.now();
      },
      { capture: true },
    );
    w.vidlet.session.run.subscribe((s) => {
      const m = w.__marks;
      if (s.kind === 'done' && m.doneAt === undefined) m.doneAt = performance.now();
      if (s.kind !== 'running' || s.step?.step !== 1 || m.previewDrawnAt !== undefined) return;
      void (async () => {
        // The app re-renders with the step, then the live preview draws it (as harness.recordSteps reads it).
        const app = document.querySelector('vidlet-app') as unknown as { updateComplete: Promise<unknown>; shadowRoot: ShadowRoot };
        await app.updateComplete;
        const el = app.shadowRoot.querySelector('vidlet-live-preview') as (HTMLElement & { updateComplete: Promise<unknown> }) | null;
        await el?.updateComplete;
        const canvas = el?.shadowRoot?.querySelector('canvas');
        if (!canvas || !(Number(canvas.dataset.step) >= 1) || canvas.width === 0) return;
        if (m.previewDrawnAt === undefined) m.previewDrawnAt = performance.now();
        requestAnimationFrame(() => {
          m.previewPaintedAt ??= performance.now();
        });
      })();
    });
  });
}

const marks = (page: Page) => page.evaluate(() => (window as unknown as { __marks: RunMarks }).__marks);

async function clickGenerate(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Generate' }).click();
}

async function waitReady(page: Page, timeoutMs = 300_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const v = (window as unknown as { vidlet?: { session: { model: { value: { kind: string } } } } }).vidlet?.session.model.value.kind;
      return v === 'ready' || v === 'error';
    },
    undefined,
    { timeout: timeoutMs, polling: 25 },
  );
  const state = await page.evaluate(() => (window as unknown as { vidlet: { session: { model: { value: { kind: string; error?: unknown } } } } }).vidlet.session.model.value);
  if (state.kind !== 'ready') throw new Error(`model load failed: ${JSON.stringify(state.error)}`);
}

interface WarmRun {
  run: number;
  /** Node's clock: page.reload() called → ready seen (polling every 25 ms). */
  wallMs: number;
  fromCache: boolean;
  breakdown: WarmStart;
  measures: { page: Measure[]; worker: Measure[]; workerOffsetMs: number; domContentLoadedMs: number };
}

async function warmStart(page: Page, run: number): Promise<WarmRun> {
  const t0 = performance.now();
  await page.reload();
  await waitReady(page, 120_000);
  const wallMs = performance.now() - t0;
  const seen = await page.evaluate(async () => {
    const w = window as unknown as {
      vidlet: { engine: { diagnostics(): Promise<EngineDiagnostics> }; session: { model: { value: { fromCache?: boolean } } } };
    };
    const diag = await w.vidlet.engine.diagnostics();
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const page = performance
      .getEntriesByType('measure')
      .filter((e) => e.name.startsWith('vidlet:page:'))
      .map((e) => ({ name: e.name, startTime: e.startTime, duration: e.duration }));
    return {
      page,
      worker: diag.loadMeasures,
      workerOffsetMs: diag.timeOrigin - performance.timeOrigin,
      domContentLoadedMs: nav?.domContentLoadedEventEnd ?? NaN,
      fromCache: w.vidlet.session.model.value.fromCache === true,
    };
  });
  const { fromCache, ...measures } = seen;
  return { run, wallMs, fromCache, breakdown: warmStartPhases(measures), measures };
}

interface PreviewRun {
  run: number;
  prompt: string;
  /** ms between typing the prompt and the click. */
  pauseMs: number;
  /** click → first step's preview drawn on the canvas. */
  drawnMs: number;
  /** click → the animation frame after it (on screen). */
  paintedMs: number;
  /** click → drawn split into phases (page-timings-stats.ts firstPreviewPhases); none from a build without the measures (--dist of an older one). */
  breakdown?: WarmStart;
  measures: { page: Measure[]; worker: Measure[]; workerOffsetMs: number };
}

async function firstPreview(page: Page, run: number, prompt: string, pauseMs: number): Promise<PreviewRun> {
  await fillForm(page, { prompt, seed: 1000 + run, steps: 20 });
  if (pauseMs > 0) await page.waitForTimeout(pauseMs);
  await armProbe(page);
  await clickGenerate(page);
  await page.waitForFunction(() => (window as unknown as { __marks: RunMarks }).__marks.previewPaintedAt !== undefined, undefined, { timeout: 120_000, polling: 50 });
  const m = await marks(page);
  await page.evaluate(() => (window as unknown as { vidlet: { session: { cancel(): Promise<void> } } }).vidlet.session.cancel());
  await waitForRunEnd(page);
  const measures = await generationMeasures(page);
  const breakdown = measures.page.length > 0 ? firstPreviewPhases({ clickAt: m.clickAt!, drawnAt: m.previewDrawnAt!, ...measures }) : undefined;
  return { run, prompt, pauseMs, drawnMs: m.previewDrawnAt! - m.clickAt!, paintedMs: m.previewPaintedAt! - m.clickAt!, breakdown, measures };
}

/** The last generation's measures: the page's (vidlet:page:generate-request, first-step) and the worker's. */
async function generationMeasures(page: Page): Promise<{ page: Measure[]; worker: Measure[]; workerOffsetMs: number }> {
  return page.evaluate(async () => {
    const w = window as unknown as { vidlet: { engine: { diagnostics(): Promise<EngineDiagnostics> } } };
    const diag = await w.vidlet.engine.diagnostics();
    const names = new Set(['vidlet:page:generate-request', 'vidlet:page:first-step']);
    const page = performance
      .getEntriesByType('measure')
      .filter((e) => names.has(e.name))
      .map((e) => ({ name: e.name, startTime: e.startTime, duration: e.duration }));
    return { page, worker: diag.generateMeasures, workerOffsetMs: diag.timeOrigin - performance.timeOrigin };
  });
}

/** Rows of a phase table: each phase (and its parts) with its median and every run's figure. */
function phaseTable(runs: readonly WarmStart[]): string[][] {
  const rows: string[][] = [];
  const byLabel = (b: WarmStart, label: string) => b.phases.find((x) => x.label.replace(/ \(cached\)$/, '') === label.replace(/ \(cached\)$/, ''));
  for (const ph of runs[0]!.phases) {
    const of = (b: WarmStart) => byLabel(b, ph.label)?.ms ?? NaN;
    rows.push([ph.label.replace(/ \(cached\)$/, ''), ms(median(runs.map(of))), ...runs.map((b) => ms(of(b)))]);
    for (const part of ph.parts ?? []) {
      const ofPart = (b: WarmStart) => byLabel(b, ph.label)?.parts?.find((x) => x.label === part.label)?.ms ?? NaN;
      rows.push([`    ${part.label}`, ms(median(runs.map(ofPart))), ...runs.map((b) => ms(ofPart(b)))]);
    }
  }
  rows.push(['total (click → drawn)', ms(median(runs.map((b) => b.totalMs))), ...runs.map((b) => ms(b.totalMs))]);
  return rows;
}

interface PageRun {
  /** click → the result in the page (EngineClient.generate resolved). */
  resultMs: number;
  /** The worker's engine time (GenerateResult.timings.totalMs). */
  engineMs: number;
  /** click → run 'done' (clip encoded, history written). */
  doneMs: number;
  /** click → first preview drawn (the prompt's text-encoder output is cached here). */
  firstPreviewMs: number;
  request: Request;
  checksum: number;
  /** click → first preview drawn, split into phases (the text encoder's output comes from its cache). */
  firstPreview?: WarmStart;
}

async function pageGeneration(page: Page, prompt: string, seed: number): Promise<PageRun> {
  await fillForm(page, { prompt, seed, steps: 20 });
  await armProbe(page);
  await clickGenerate(page);
  const end = await waitForRunEnd(page, 600_000);
  if (end !== 'done') throw new Error(`a page generation ended ${end}`);
  await page.waitForFunction(() => (window as unknown as { __marks: RunMarks }).__marks.doneAt !== undefined, undefined, { polling: 50 });
  const m = await marks(page);
  const measures = await generationMeasures(page);
  return {
    ...(m.previewDrawnAt === undefined || measures.page.length === 0 ? {} : { firstPreview: firstPreviewPhases({ clickAt: m.clickAt!, drawnAt: m.previewDrawnAt, ...measures }) }),
    resultMs: m.resultAt! - m.clickAt!,
    engineMs: m.engineTotalMs!,
    doneMs: m.doneAt! - m.clickAt!,
    firstPreviewMs: (m.previewDrawnAt ?? NaN) - m.clickAt!,
    request: m.request!,
    checksum: m.checksum!,
  };
}

function checksumOf(d: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum = (sum + d[i]! * ((i % 251) + 1)) >>> 0;
  return sum;
}

// ---------------------------------------------------------------------------------------------

const prompts = (JSON.parse(readFileSync(resolve(ROOT, 'tests/fixtures/eval-prompts.json'), 'utf8')) as { prompt: string }[]).map((p) => p.prompt);
log('building the app (tests/browser/build.ts; reused when the sources did not change)…');
const dist = values.dist ? resolve(values.dist) : builtApp();
const server = await startStaticServer(dist);
const app = await launchApp(server.url);
const page = app.page;
const out: Record<string, unknown> = { startedAt: new Date().toISOString(), runs: RUNS, targets: TARGETS };
try {
  // --- 1. first load (stores the model), then warm starts ------------------------------------
  log('first load: the model is downloaded into IndexedDB…');
  const t0 = performance.now();
  await page.evaluate(() => void (window as unknown as { vidlet: { session: { ensureModel(): Promise<unknown> } } }).vidlet.session.ensureModel().catch(() => {}));
  await waitReady(page);
  const coldMs = performance.now() - t0;
  const env = await page.evaluate(async () => {
    const w = window as unknown as { vidlet: { engine: { diagnostics(): Promise<EngineDiagnostics> }; session: { model: { value: { info: ModelInfo } } } } };
    const d = await w.vidlet.engine.diagnostics();
    const info = w.vidlet.session.model.value.info;
    return {
      userAgent: navigator.userAgent,
      pageHardwareConcurrency: navigator.hardwareConcurrency,
      workerHardwareConcurrency: d.hardwareConcurrency,
      pageCrossOriginIsolated: crossOriginIsolated,
      workerCrossOriginIsolated: d.crossOriginIsolated,
      backend: info.backend,
      variant: info.variant,
    };
  });
  log(`first load ${ms(coldMs)}: ${env.backend.description}, ${env.variant}; cross-origin isolated ${env.pageCrossOriginIsolated}`);
  const warm: WarmRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    warm.push(await warmStart(page, i));
    log(`warm start ${i}: ${ms(warm.at(-1)!.breakdown.totalMs)} (reload → ready seen ${ms(warm.at(-1)!.wallMs)})`);
  }

  const warmTotals = warm.map((w) => w.breakdown.totalMs);
  const warmMedian = median(warmTotals);
  // The phases of the median-ish run: the one closest to the median.
  const typical = warm.reduce((a, b) => (Math.abs(b.breakdown.totalMs - warmMedian) < Math.abs(a.breakdown.totalMs - warmMedian) ? b : a));
  const phaseRows: string[][] = [];
  for (const ph of typical.breakdown.phases) {
    const medianMs = median(warm.map((w) => w.breakdown.phases.find((x) => x.label === ph.label)?.ms ?? NaN));
    phaseRows.push([ph.label, ms(medianMs), ...warm.map((w) => ms(w.breakdown.phases.find((x) => x.label === ph.label)?.ms ?? NaN))]);
    for (const part of ph.parts ?? []) {
      const of = (w: WarmRun) => w.breakdown.phases.find((x) => x.label === ph.label)?.parts?.find((x) => x.label === part.label)?.ms ?? NaN;
      phaseRows.push([`    ${part.label}`, ms(median(warm.map(of))), ...warm.map((w) => ms(of(w)))]);
    }
  }
  phaseRows.push(['total (navigation start → model ready)', ms(warmMedian), ...warmTotals.map(ms)]);
  phaseRows.push(['reload() → ready seen by the script', ms(median(warm.map((w) => w.wallMs))), ...warm.map((w) => ms(w.wallMs))]);

  const warmLines = [
    `Page: ${env.backend.description}, ${env.variant}; cross-origin isolated: page ${env.pageCrossOriginIsolated}, worker ${env.workerCrossOriginIsolated}. ${env.backend.reason}`,
    `First load (download into IndexedDB): ${ms(coldMs)}`,
    '',
    `1. Warm start, ${RUNS} reloads (median ${ms(warmMedian)}, target ≤ ${ms(TARGETS.warmStartMs)}: ${verdict(warmMedian, TARGETS.warmStartMs)})`,
    table(['phase', 'median', ...warm.map((w) => `#${w.run}`)], phaseRows),
  ];
  console.log(warmLines.join('\n'));
  Object.assign(out, {
    environment: { ...env, nodeCores: availableParallelism() },
    coldLoadMs: coldMs,
    warmStart: { medianMs: warmMedian, spread: spread(warmTotals), runs: warm },
  });
  // --warm-only: parts 2 and 3 are skipped.
  if (!values['warm-only']) {
    // --- 2. first preview ------------------------------------------------------------------------
    // Alternating: Generate clicked as soon as the prompt is typed, and after a pause (a new prompt each run).
    const previews: PreviewRun[] = [];
    for (let i = 1; i <= 2 * RUNS; i++) {
      previews.push(await firstPreview(page, i, prompts[i % prompts.length]!, i % 2 === 1 ? 0 : PAUSE_MS));
      log(`first preview ${i} (pause ${previews.at(-1)!.pauseMs} ms): drawn ${ms(previews.at(-1)!.drawnMs)}, on screen ${ms(previews.at(-1)!.paintedMs)}`);
    }
    const atOnce = previews.filter((p) => p.pauseMs === 0);
    const paused = previews.filter((p) => p.pauseMs > 0);

    // --- 3. page vs Node -------------------------------------------------------------------------
    const seed = Number(values.seed);
    log('page vs Node: warm-up generation in the page…');
    const pageWarmup = await pageGeneration(page, values.prompt!, seed);
    const request = pageWarmup.request;
    if (env.backend.backend !== 'wasm') log(`note: the page runs on ${env.backend.backend}; Node runs wasm`);
    log(`loading the Node engine (wasm, ${env.variant}, ${env.backend.threads} thread(s))…`);
    const node = await loadNodeEngine({ model: MODEL_DIR, backend: 'wasm', variant: env.variant, threads: env.backend.threads } as never);
    const nodeGenerate = async () => {
      const t = performance.now();
      const r = await node.engine.generate(request, { onStep: () => {} });
      return { wallMs: performance.now() - t, engineMs: r.timings.totalMs, checksum: checksumOf(r.video.data) };
    };
    log('page vs Node: warm-up generation in Node…');
    const nodeWarmup = await nodeGenerate();
    const pageRuns: PageRun[] = [];
    const nodeRuns: Awaited<ReturnType<typeof nodeGenerate>>[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const p = await pageGeneration(page, values.prompt!, seed);
      if (JSON.stringify(p.request) !== JSON.stringify(request)) throw new Error(`page run ${i} sent another request: ${JSON.stringify(p.request)}`);
      pageRuns.push(p);
      const n = await nodeGenerate();
      nodeRuns.push(n);
      log(`pair ${i}: page ${ms(p.resultMs)} (engine ${ms(p.engineMs)}), Node ${ms(n.wallMs)} → ${ratio(p.resultMs / n.wallMs)}`);
    }

    // --- report ----------------------------------------------------------------------------------
    const previewDrawn = atOnce.map((p) => p.drawnMs);
    const pausedDrawn = paused.map((p) => p.drawnMs);
    const pageResult = pageRuns.map((p) => p.resultMs);
    const nodeWall = nodeRuns.map((n) => n.wallMs);
    const pair = pairedRatios(pageResult, nodeWall);
    const enginePair = pairedRatios(pageRuns.map((p) => p.engineMs), nodeRuns.map((n) => n.engineMs));
    const sameClip = pageRuns.every((p) => p.checksum === nodeRuns[0]!.checksum);

    const lines: string[] = [];
    lines.push(`Machine: ${availableParallelism()} cores (Node) / navigator.hardwareConcurrency ${env.pageHardwareConcurrency} (page), ${env.workerHardwareConcurrency} (worker)`);
    lines.push(`Node: ${node.info.backend.description}, ${node.info.variant}. ${env.userAgent}`);
    lines.push('');
    for (const [label, runs, drawn] of [
      ['clicked as soon as the prompt is typed', atOnce, previewDrawn],
      [`clicked ${PAUSE_MS} ms after typing (the page encodes the prompt in the pause)`, paused, pausedDrawn],
    ] as const) {
      lines.push(`2. First preview after Generate, new prompt each run, ${label} (median ${ms(median(drawn))}, target ≤ ${ms(TARGETS.firstPreviewMs)}: ${verdict(median(drawn), TARGETS.firstPreviewMs)})`);
      lines.push(table(['run', 'click → drawn', 'click → on screen', 'prompt'], runs.map((p) => [`#${p.run}`, ms(p.drawnMs), ms(p.paintedMs), p.prompt])));
      const splits = runs.flatMap((p) => (p.breakdown ? [p.breakdown] : []));
      if (splits.length === runs.length) {
        lines.push('Where it goes (click → drawn; measures of src/store/load-marks.ts GENERATE_MEASURES):');
        lines.push(table(['phase', 'median', ...runs.map((p) => `#${p.run}`)], phaseTable(splits)));
      }
    }
    lines.push('');
    lines.push(
      `3. Whole generation, page vs Node, ${request.steps} steps, seed ${request.seed}, "${request.prompt}", ${env.backend.threads} thread(s) each ` +
        `(median page/Node ${ratio(pair.median)}, target ≤ ${ratio(TARGETS.pageOverNode)}: ${verdict(pair.median, TARGETS.pageOverNode)})`,
    );
    lines.push(
      table(
        ['run', 'page click→result', 'page engine', 'page click→done', 'page 1st preview', 'Node', 'Node engine', 'page/Node', 'engine page/Node'],
        [
          ['warm-up', ms(pageWarmup.resultMs), ms(pageWarmup.engineMs), ms(pageWarmup.doneMs), ms(pageWarmup.firstPreviewMs), ms(nodeWarmup.wallMs), ms(nodeWarmup.engineMs), ratio(pageWarmup.resultMs / nodeWarmup.wallMs), ratio(pageWarmup.engineMs / nodeWarmup.engineMs)],
          ...pageRuns.map((p, i) => [
            `#${i + 1}`, ms(p.resultMs), ms(p.engineMs), ms(p.doneMs), ms(p.firstPreviewMs), ms(nodeRuns[i]!.wallMs), ms(nodeRuns[i]!.engineMs), ratio(pair.ratios[i]!), ratio(enginePair.ratios[i]!),
          ]),
          ['median', ms(median(pageResult)), ms(median(pageRuns.map((p) => p.engineMs))), ms(median(pageRuns.map((p) => p.doneMs))), ms(median(pageRuns.map((p) => p.firstPreviewMs))), ms(median(nodeWall)), ms(median(nodeRuns.map((n) => n.engineMs))), ratio(pair.median), ratio(enginePair.median)],
          ['max/min', ratio(spread(pageResult)), ratio(spread(pageRuns.map((p) => p.engineMs))), ratio(spread(pageRuns.map((p) => p.doneMs))), '', ratio(spread(nodeWall)), ratio(spread(nodeRuns.map((n) => n.engineMs))), '', ''],
        ],
      ),
    );
    const cachedSplits = pageRuns.flatMap((p) => (p.firstPreview ? [p.firstPreview] : []));
    if (cachedSplits.length > 0) {
      lines.push("Page runs' first preview (text encoder cached), where it goes:");
      lines.push(table(['phase', 'median', ...cachedSplits.map((_, i) => `#${i + 1}`)], phaseTable(cachedSplits)));
    }
    lines.push(`Same clip in page and Node: ${sameClip ? 'yes' : 'no'} (checksums page ${[...new Set(pageRuns.map((p) => p.checksum))].join(', ')}, Node ${[...new Set(nodeRuns.map((n) => n.checksum))].join(', ')})`);
    console.log(lines.join('\n'));

    Object.assign(out, {
      environment: { ...env, nodeCores: availableParallelism(), nodeBackend: node.info.backend, nodeVariant: node.info.variant },
      firstPreview: {
        medianDrawnMs: median(previewDrawn), medianPaintedMs: median(atOnce.map((p) => p.paintedMs)),
        afterPause: { pauseMs: PAUSE_MS, medianDrawnMs: median(pausedDrawn), medianPaintedMs: median(paused.map((p) => p.paintedMs)) },
        runs: previews,
      },
      pageVsNode: {
        request,
        warmup: { page: pageWarmup, node: nodeWarmup },
        page: pageRuns,
        node: nodeRuns,
        ratios: pair.ratios,
        medianRatio: pair.median,
        engineRatios: enginePair.ratios,
        medianEngineRatio: enginePair.median,
        spread: { page: spread(pageResult), pageEngine: spread(pageRuns.map((p) => p.engineMs)), node: spread(nodeWall) },
        sameClip,
      },
      verdicts: {
        warmStart: verdict(warmMedian, TARGETS.warmStartMs),
        firstPreview: verdict(median(previewDrawn), TARGETS.firstPreviewMs),
        pageOverNode: verdict(pair.median, TARGETS.pageOverNode),
      },
    });
    await node.engine.unload();
  }
} finally {
  await app.stop();
  await server.stop();
  out.finishedAt = new Date().toISOString();
  const file = resolve(ROOT, values.json!);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 1));
  log(`wrote ${file}`);
}
