/**
 * The rule tests/browser/worker-memory.test.ts applies to the worker's memory after each
 * generation: flat, except for at most one growth of onnxruntime-web's wasm heap.
 *
 * How that heap grows (emscripten's `emscripten_resize_heap`, as built into onnxruntime-web 1.30:
 * node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs, which the worker imports through
 * 'onnxruntime-web/webgpu'; the same code is in ort.bundle.min.mjs and ort.wasm.bundle.min.mjs):
 *
 *   for (cutDown = 1; cutDown <= 4; cutDown *= 2) {
 *     overGrown = oldSize * (1 + 0.2 / cutDown);
 *     overGrown = Math.min(overGrown, requestedSize + 100663296);          // at most 96 MiB past the request
 *     newSize = Math.min(4294901760, alignUp(Math.max(requestedSize, overGrown), 65536));
 *     if (memory.grow(pages(newSize - oldSize))) return true;
 *   }
 *
 * So one growth takes the heap to max(request, at most 1.2 × its old size) in 64 KiB pages: when
 * the request is within that (a run's peak edging past the heap, as in steady state), the heap
 * grows by at most a fifth of its old size, rounded up to a page. The worker's measured bytes are
 * that heap plus the worker's JS heap, so a fifth of the measured bytes before the jump is at least
 * a fifth of the wasm heap: one growth step fits under `heapGrowthStep(bytesBefore)`, and a leak
 * that adds more than that in one run does not.
 */

export const MiB = 2 ** 20;

/** A WebAssembly page: emscripten grows memory in whole pages. */
const WASM_PAGE = 65536;

/** Emscripten's first-try overgrowth factor (1 + 0.2 / cutDown with cutDown = 1). */
const GROWTH_FACTOR = 1.2;

/** A one-way heap growth, not GC noise: larger than anything the drift allows. */
export const JUMP_BYTES = 2 * MiB;

/** Eight more generations may add at most this much outside the jump (GC timing noise). */
export const DRIFT_BYTES = 2 * MiB;

/** The most one emscripten heap growth adds to memory measured at `bytesBefore` (see above). */
export function heapGrowthStep(bytesBefore: number): number {
  return Math.ceil((bytesBefore * GROWTH_FACTOR) / WASM_PAGE) * WASM_PAGE - bytesBefore;
}

export interface Jump {
  /** The run (1-based, as the test numbers them) after which the memory jumped. */
  run: number;
  before: number;
  delta: number;
  /** The largest jump one heap growth from `before` can make. */
  maxStep: number;
}

export interface CurveVerdict {
  /** Each run's growth against the run before, from run `firstRun`. */
  deltas: number[];
  /** The deltas larger than JUMP_BYTES. */
  jumps: Jump[];
  /** The sum of all other deltas. */
  drift: number;
  /** Why the curve is not flat-but-one-growth; empty when it is. */
  problems: string[];
}

/**
 * Checks `bytes` (the worker's memory after runs 1, 2, …) from run `firstRun` on, each run against
 * the one before: at most one jump, that jump no larger than one heap growth step, and less than
 * DRIFT_BYTES in all outside it.
 */
export function checkMemoryCurve(bytes: readonly number[], firstRun = 3): CurveVerdict {
  const deltas: number[] = [];
  const jumps: Jump[] = [];
  let drift = 0;
  for (let i = firstRun - 1; i < bytes.length; i++) {
    const before = bytes[i - 1];
    const delta = bytes[i] - before;
    deltas.push(delta);
    if (delta > JUMP_BYTES) jumps.push({ run: i + 1, before, delta, maxStep: heapGrowthStep(before) });
    else drift += delta;
  }
  const mib = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
  const problems: string[] = [];
  if (jumps.length > 1) {
    problems.push(`${jumps.length} jumps (runs ${jumps.map((j) => j.run).join(', ')}): the wasm heap grows at most once in steady state`);
  }
  for (const j of jumps) {
    if (j.delta > j.maxStep) {
      problems.push(`run ${j.run} added ${mib(j.delta)}, more than one heap growth from ${mib(j.before)} (at most ${mib(j.maxStep)})`);
    }
  }
  if (drift >= DRIFT_BYTES) problems.push(`${mib(drift)} added outside the jump (at most ${mib(DRIFT_BYTES)})`);
  return { deltas, jumps, drift, problems };
}
