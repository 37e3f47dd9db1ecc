/**
 * #13 "50 consecutive generations with flat memory in page and worker": a measurement to run once,
 * not a CI test (50 generations add ~4–6 min to a ~20 min CI with a 30 min limit; the CI test
 * tests/browser/worker-memory.test.ts keeps its 10 runs and its curve-shape rule).
 *
 *   nice -n 19 npx tsx scripts/memory-50.ts [--runs 50] [--steps 2] [--out /tmp/memory-50.json]
 *
 * The built app (tests/browser/build.ts) in headless Chromium (harness.ts), one profile, the same
 * prompt with seed = run number. After each generation, with a forced GC first:
 *   worker: performance.measureUserAgentSpecificMemory() entries attributed to the engine worker
 *           (its JS heap and everything it keeps alive, onnxruntime's wasm heap included);
 *   page:   the same measurement's other entries (the window), and the main thread's own JS heap
 *           (performance.memory.usedJSHeapSize, Chromium; precise with --enable-precise-memory-info).
 * Verdict, each measured run from 3 on against the measurement before (run 1 loads the model, run
 * 2 is the first warm one; --every N measures only runs 1, 2, every N-th and the last):
 *   worker: at most one jump > 2 MiB (one growth of the wasm heap), < 2 MiB of drift outside it;
 *   page (both measures): < 2 MiB of drift in all, and no jump;
 *   plus, for each series, the least-squares slope over runs 3..N outside jumps (bytes per run): a
 *   leak of one 1 MiB clip per run shows as ~1 MiB/run, GC noise as a few KiB/run either way.
 * Prints one line per run and a JSON summary (also written to --out); exit code 1 when a check fails.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { CHROMIUM_ARGS, fillForm, startApp, waitForRunEnd } from '../tests/browser/harness';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    steps: { type: 'string', default: '2' },
    out: { type: 'string', default: '/tmp/memory-50.json' },
    /** Measure after runs 1, 2, every N-th and the last (a measurement can take a minute here). */
    every: { type: 'string', default: '1' },
  },
});
const RUNS = Number(values.runs);
const STEPS = Number(values.steps);
const EVERY = Number(values.every);
const MiB = 2 ** 20;
const JUMP = 2 * MiB;
const DRIFT = 2 * MiB;

// performance.memory is bucketed (coarse) unless Chromium is told otherwise.
CHROMIUM_ARGS.push('--enable-precise-memory-info');

interface Sample {
  run: number;
  ms: number;
  measureMs: number;
  workerBytes: number;
  pageBytes: number;
  pageJsHeap: number;
}

async function measureNow(page: Page): Promise<Omit<Sample, 'run' | 'ms' | 'measureMs'>> {
  return page.evaluate(async () => {
    (globalThis as { gc?: () => void }).gc?.();
    const perf = performance as Performance & {
      measureUserAgentSpecificMemory(): Promise<{ bytes: number; breakdown: { bytes: number; attribution: { scope: string }[] }[] }>;
      memory?: { usedJSHeapSize: number };
    };
    if (!crossOriginIsolated) throw new Error('The page is not cross-origin isolated: COOP/COEP headers are missing.');
    const result = await perf.measureUserAgentSpecificMemory();
    let workerBytes = 0;
    for (const entry of result.breakdown) if (entry.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) workerBytes += entry.bytes;
    (globalThis as { gc?: () => void }).gc?.();
    return { workerBytes, pageBytes: result.bytes - workerBytes, pageJsHeap: perf.memory?.usedJSHeapSize ?? NaN };
  });
}

/**
 * A measurement can take a minute or more on the busy 2-core machine: Chromium 156 answers
 * measureUserAgentSpecificMemory() late despite ForceEagerMeasureMemory (63 s for one call at load
 * ~6; forcing gc() in page and worker every 200 ms while it was pending did not help: 1,211 s at
 * load ~15). Hence --every.
 */
const measure = measureNow;

/**
 * The measured runs from run 2 on, each against the measurement before it: jumps (> JUMP), drift
 * outside them, and the least-squares slope per run with the jumps taken out.
 */
function curve(points: { run: number; value: number }[]) {
  const warm = points.filter((p) => p.run >= 2);
  const deltas = warm.slice(1).map((p, i) => ({ run: p.run, delta: p.value - warm[i].value }));
  const jumps = deltas.filter((d) => d.delta > JUMP);
  const drift = deltas.filter((d) => d.delta <= JUMP).reduce((a, d) => a + d.delta, 0);
  let shift = 0;
  const xy = warm.map((p, i) => {
    if (i > 0 && deltas[i - 1].delta > JUMP) shift += deltas[i - 1].delta;
    return { x: p.run, y: p.value - shift };
  });
  const mx = xy.reduce((a, p) => a + p.x, 0) / xy.length;
  const my = xy.reduce((a, p) => a + p.y, 0) / xy.length;
  const slope = xy.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / xy.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const values = warm.map((p) => p.value);
  return { jumps, drift, slope, first: values[0], last: values.at(-1)!, min: Math.min(...values), max: Math.max(...values) };
}

const app = await startApp();
const samples: Sample[] = [];
/** Seconds from Generate to done, every run. */
const times: number[] = [];
try {
  const { page } = app;
  for (let run = 1; run <= RUNS; run++) {
    const t0 = performance.now();
    await fillForm(page, { prompt: 'a green square sliding left', steps: STEPS, seed: run });
    await page.getByRole('button', { name: 'Generate' }).click();
    const end = await waitForRunEnd(page);
    if (end !== 'done') throw new Error(`run ${run} ended ${end}`);
    const ms = performance.now() - t0;
    times.push(ms / 1000);
    if (!(run <= 2 || run % EVERY === 0 || run === RUNS)) {
      console.log(`run ${run}: ${(ms / 1000).toFixed(1)} s`);
      continue;
    }
    const t1 = performance.now();
    const m = await measure(page);
    const measureMs = performance.now() - t1;
    samples.push({ run, ms, measureMs, ...m });
    console.log(
      `run ${run}: ${(ms / 1000).toFixed(1)} s (measured in ${(measureMs / 1000).toFixed(1)} s); worker ${(m.workerBytes / MiB).toFixed(2)} MiB, page ${(m.pageBytes / MiB).toFixed(2)} MiB, ` +
        `page JS heap ${(m.pageJsHeap / MiB).toFixed(2)} MiB`,
    );
  }
} finally {
  await app.stop();
}

const worker = curve(samples.map((s) => ({ run: s.run, value: s.workerBytes })));
const page = curve(samples.map((s) => ({ run: s.run, value: s.pageBytes })));
const pageHeap = curve(samples.map((s) => ({ run: s.run, value: s.pageJsHeap })));
const checks = {
  workerAtMostOneJump: worker.jumps.length <= 1,
  workerDriftUnder2MiB: Math.abs(worker.drift) < DRIFT,
  pageNoJump: page.jumps.length === 0,
  pageDriftUnder2MiB: Math.abs(page.drift) < DRIFT,
  pageJsHeapNoJump: pageHeap.jumps.length === 0,
  pageJsHeapDriftUnder2MiB: Math.abs(pageHeap.drift) < DRIFT,
};
const warm = times.slice(1);
const summary = {
  runs: RUNS,
  steps: STEPS,
  secondsPerWarmGeneration: { mean: warm.reduce((a, b) => a + b, 0) / warm.length, max: Math.max(...warm) },
  firstRunSeconds: times[0],
  secondsPerMeasurement: samples.map((s) => s.measureMs / 1000),
  worker,
  page,
  pageJsHeap: pageHeap,
  checks,
  samples,
};
writeFileSync(values.out!, JSON.stringify(summary, null, 1));
const fmt = (c: ReturnType<typeof curve>) =>
  `run 2 ${(c.first / MiB).toFixed(2)} → run ${RUNS} ${(c.last / MiB).toFixed(2)} MiB (min ${(c.min / MiB).toFixed(2)}, max ${(c.max / MiB).toFixed(2)}); ` +
  `${c.jumps.length} jump(s)${c.jumps.map((j) => ` [run ${j.run}: +${(j.delta / MiB).toFixed(2)}]`).join('')}, drift outside ${(c.drift / MiB).toFixed(2)} MiB, slope ${(c.slope / 1024).toFixed(1)} KiB/run`;
console.log(`worker: ${fmt(worker)}`);
console.log(`page (UA-specific memory, window): ${fmt(page)}`);
console.log(`page JS heap (performance.memory): ${fmt(pageHeap)}`);
console.log(`warm generation ${summary.secondsPerWarmGeneration.mean.toFixed(1)} s mean, ${summary.secondsPerWarmGeneration.max.toFixed(1)} s max; first run ${summary.firstRunSeconds.toFixed(1)} s`);
console.log(`checks: ${JSON.stringify(checks)}; JSON in ${values.out}`);
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
