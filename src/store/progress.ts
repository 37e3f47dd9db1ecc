/**
 * Download progress arithmetic, pure: no clocks, no I/O, so it is unit-tested with made-up times.
 * Speed is measured over a sliding window (default 5 s) rather than since the start, so it
 * follows a connection that speeds up or stalls, and the time left follows with it.
 */

export interface Sample {
  /** Milliseconds, any monotonic origin (performance.now()). */
  timeMs: number;
  /** Bytes of the file held at that time (including bytes resumed from the cache). */
  loadedBytes: number;
}

export interface Throughput {
  bytesPerSecond: number;
  /** Seconds until totalBytes at the current speed; undefined when the speed is not known yet (or 0). */
  secondsLeft: number | undefined;
}

export const DEFAULT_WINDOW_MS = 5000;

/**
 * Adds a sample and drops those older than the window, keeping one sample at or before the
 * window start so the window always spans its full width once enough time has passed.
 */
export function pushSample(window: readonly Sample[], sample: Sample, windowMs = DEFAULT_WINDOW_MS): Sample[] {
  const all = [...window, sample];
  const cutoff = sample.timeMs - windowMs;
  let first = 0;
  while (first + 1 < all.length && all[first + 1].timeMs <= cutoff) first++;
  return all.slice(first);
}

/** Bytes per second between the oldest and newest sample of the window (0 if under 1 ms apart). */
export function bytesPerSecond(window: readonly Sample[]): number {
  if (window.length < 2) return 0;
  const a = window[0];
  const b = window[window.length - 1];
  const dt = b.timeMs - a.timeMs;
  if (dt < 1) return 0;
  return Math.max(0, ((b.loadedBytes - a.loadedBytes) * 1000) / dt);
}

export function secondsLeft(loadedBytes: number, totalBytes: number, rate: number): number | undefined {
  const remaining = Math.max(0, totalBytes - loadedBytes);
  if (remaining === 0) return 0;
  if (!(rate > 0)) return undefined;
  return remaining / rate;
}

export function throughput(window: readonly Sample[], totalBytes: number): Throughput {
  const rate = bytesPerSecond(window);
  const loaded = window.length ? window[window.length - 1].loadedBytes : 0;
  return { bytesPerSecond: rate, secondsLeft: secondsLeft(loaded, totalBytes, rate) };
}

/**
 * Delay before retry number `attempt` (0-based): exponential from baseMs, capped at maxMs,
 * scaled by a jitter factor in [0.5, 1] from `random` so many tabs do not retry in lockstep.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return exp * (0.5 + 0.5 * Math.min(1, Math.max(0, random)));
}

/** Parses `Content-Range: bytes 100-199/1000` → {start, end, total}; total is undefined for '*'. */
export function parseContentRange(header: string | null): { start: number; end: number; total: number | undefined } | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}
