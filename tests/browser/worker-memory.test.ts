/**
 * (f) Ten generations in a row leave the engine worker's memory flat.
 *
 * Measure: performance.measureUserAgentSpecificMemory() (needs cross-origin isolation, which
 * the app has through COOP/COEP), summing the breakdown entries attributed to the worker
 * (scope DedicatedWorkerGlobalScope). It counts the worker's JS heap including ArrayBuffers it
 * keeps alive, so a leaked result clip, preview frame buffer, tensor-data copy or comlink
 * callback port per generation grows it; a leak of just one output clip per run (frames × H ×
 * W × 4 bytes, 1 MiB for the embedded model) adds 8 MiB over runs 3–10.
 *
 * It also counts onnxruntime's wasm heap, which only grows, by emscripten's rule of at most a
 * fifth of its size at a time (~28 MiB here; the rule and its source: memory-curve.ts). With
 * threaded wasm the peak of a run depends on how the threads interleave, so that one growth can
 * come at run 1 or at run 9: seen in CI as 147.97 → 176.46 MiB between runs 8 and 9, flat before
 * and after. So the check is on the shape of the curve, not its two ends (checkMemoryCurve): at
 * most one jump, no larger than one heap growth step from where it started, and everything else
 * flat. A per-run leak cannot hide in that: small ones add up outside the jump, large ones make
 * several jumps, and a one-off one larger than a heap growth makes a jump too large.
 * What it cannot see: a leak inside the wasm heap smaller than its growth step, and GPU buffers.
 *
 * Measured after runs 2, 4, 7 and 10, not after every run: each measurement waits about 60 s,
 * because onnxruntime's idle wasm threads sit in Atomics.wait and cannot answer it, so Chromium
 * waits out its timeout (ForceEagerMeasureMemory does not help there). Spacing the samples keeps
 * the rule's power: a steady leak still adds up outside the one allowed jump (the deltas telescope
 * to the same total), and a clip per run still makes more than one jump.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { fillForm, recordSteps, startApp, stepLog, waitForRunEnd, type App } from './harness';
import { checkMemoryCurve, DRIFT_BYTES, JUMP_BYTES, MiB } from './memory-curve';

/** After which runs the memory is measured (see above for why not every run). */
// Three deltas of 2–3 runs: a clip per run (1 MiB) makes 2, 3 and 3 MiB (two jumps, or 2 MiB of drift),
// and a steady half MiB per run 4 MiB of drift, as with five samples (the deltas telescope).
const MEASURED_RUNS = [2, 4, 7, 10];

let app: App;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

interface Measurement {
  workerBytes: number;
  totalBytes: number;
  scopes: string[];
}

async function measure(page: Page): Promise<Measurement> {
  return page.evaluate(async () => {
    (globalThis as { gc?: () => void }).gc?.();
    const perf = performance as Performance & {
      measureUserAgentSpecificMemory(): Promise<{
        bytes: number;
        breakdown: { bytes: number; types: string[]; attribution: { url: string; scope: string }[] }[];
      }>;
    };
    if (!crossOriginIsolated) throw new Error('The page is not cross-origin isolated: COOP/COEP headers are missing.');
    const result = await perf.measureUserAgentSpecificMemory();
    let workerBytes = 0;
    const scopes = new Set<string>();
    for (const entry of result.breakdown) {
      for (const a of entry.attribution) scopes.add(a.scope);
      if (entry.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) workerBytes += entry.bytes;
    }
    return { workerBytes, totalBytes: result.bytes, scopes: [...scopes] };
  });
}

it('(f) ten generations keep the worker memory flat', async () => {
  const { page } = app;
  const samples: Measurement[] = [];
  for (let i = 1; i <= 10; i++) {
    await fillForm(page, { prompt: 'a green square sliding left', steps: 2, seed: i });
    await recordSteps(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await stepLog(page)).toEqual([1, 2]);
    if (!MEASURED_RUNS.includes(i)) continue;
    const m = await measure(page);
    samples.push(m);
    console.log(`run ${i}: worker ${(m.workerBytes / MiB).toFixed(2)} MiB, page+worker ${(m.totalBytes / MiB).toFixed(2)} MiB`);
  }
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  // The worker was seen by the measurement (otherwise the checks below prove nothing).
  expect(first.workerBytes).toBeGreaterThan(0);
  // From run 2 (warm: sessions created, first-run allocations done) to run 10, each sample against the one before.
  const { deltas, jumps, drift, problems } = checkMemoryCurve(samples.map((m) => m.workerBytes), 2);
  const runOf = (sample: number) => MEASURED_RUNS[sample - 1];
  console.log(
    `worker memory, runs ${MEASURED_RUNS.slice(1).join(', ')} against the sample before: ${deltas.map((d) => (d / MiB).toFixed(2)).join(', ')} MiB; ` +
      `${jumps.length} jump(s) > ${JUMP_BYTES / MiB} MiB` +
      jumps.map((j) => ` (by run ${runOf(j.run)}: +${(j.delta / MiB).toFixed(2)}, one heap growth ≤ ${(j.maxStep / MiB).toFixed(2)})`).join('') +
      `, ${(drift / MiB).toFixed(2)} MiB outside them (scopes ${last.scopes.join(', ')})`,
  );
  expect(jumps.length).toBeLessThanOrEqual(1);
  // The jump is one growth of the wasm heap, not a one-off leak larger than that.
  for (const j of jumps) expect(j.delta).toBeLessThanOrEqual(j.maxStep);
  // Eight more generations may add at most 2 MiB outside a heap growth (GC timing noise), not a clip per run.
  expect(drift).toBeLessThan(DRIFT_BYTES);
  expect(problems).toEqual([]);
  // The page keeps history summaries only (clips stay in IndexedDB until played): it must not
  // grow by a clip per run either (before that split it grew ~2.1 MiB per run here).
  const pageBytes = (m: Measurement) => m.totalBytes - m.workerBytes;
  expect(pageBytes(last) - pageBytes(first)).toBeLessThan(6 * MiB);
}, 900_000);
