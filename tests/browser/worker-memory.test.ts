/**
 * (f) Ten generations in a row leave the engine worker's memory flat.
 *
 * Measure: performance.measureUserAgentSpecificMemory() (needs cross-origin isolation, which
 * the app has through COOP/COEP), summing the breakdown entries attributed to the worker
 * (scope DedicatedWorkerGlobalScope). It counts the worker's JS heap including ArrayBuffers it
 * keeps alive, so a leaked result clip, preview frame buffer, tensor-data copy or comlink
 * callback port per generation grows it. We compare after generation 2 (warm: sessions
 * created, first-run allocations done) with after generation 10; a leak of just one output
 * clip per run (frames × H × W × 4 bytes, 1 MiB for the embedded model) would add 8 MiB there,
 * far above the allowance below. What it cannot see: memory inside onnxruntime's wasm heap
 * that is reused (the heap only grows), and GPU buffers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { fillForm, recordSteps, startApp, stepLog, waitForRunEnd, type App } from './harness';

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
  const MiB = 2 ** 20;
  const samples: Measurement[] = [];
  for (let i = 1; i <= 10; i++) {
    await fillForm(page, { prompt: 'a green square sliding left', steps: 2, seed: i });
    await recordSteps(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await stepLog(page)).toEqual([1, 2]);
    // Every run is measured and logged, so a failure shows whether memory stepped once (a wasm
    // heap growth: onnxruntime's heap only grows) or climbed run by run (a leak).
    const m = await measure(page);
    if (i === 2 || i === 10) samples.push(m);
    console.log(`run ${i}: worker ${(m.workerBytes / MiB).toFixed(2)} MiB, page+worker ${(m.totalBytes / MiB).toFixed(2)} MiB`);
  }
  const [warm, last] = samples;
  console.log(
    `worker memory after run 2: ${(warm.workerBytes / MiB).toFixed(2)} MiB, after run 10: ${(last.workerBytes / MiB).toFixed(2)} MiB ` +
      `(page+worker total ${(warm.totalBytes / MiB).toFixed(1)} → ${(last.totalBytes / MiB).toFixed(1)} MiB; scopes ${last.scopes.join(', ')})`,
  );
  // The worker was seen by the measurement (otherwise the check below proves nothing).
  expect(warm.workerBytes).toBeGreaterThan(0);
  // Eight more generations may add at most 2 MiB (GC timing noise), not a clip per run.
  expect(last.workerBytes - warm.workerBytes).toBeLessThan(2 * MiB);
  // The page keeps history summaries only (clips stay in IndexedDB until played): it must not
  // grow by a clip per run either (before that split it grew ~2.1 MiB per run here).
  expect(last.totalBytes - last.workerBytes - (warm.totalBytes - warm.workerBytes)).toBeLessThan(6 * MiB);
}, 900_000);
