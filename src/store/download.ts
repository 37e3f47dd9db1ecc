/**
 * One file over HTTP with streaming progress, resume and retries.
 *
 * Resume: a download that starts at byte N (bytes already cached) or that is cut mid-way
 * asks for the rest with `Range: bytes=N-`. A 206 whose Content-Range starts at N is appended;
 * a 200 (server ignores ranges) or a 206 for other bytes means "start over": the sink is told
 * to drop everything and bytes restart at 0, so a file is never stitched from two versions.
 * Network errors, 5xx, 408 and 429 are retried with exponential backoff; the attempt counter
 * resets whenever bytes arrived, so a long download over a flaky link still finishes.
 * Offline: once bytes of the file are in hand, a failure while the browser says it is offline
 * (navigator.onLine false: the machine lost its network, in pages and workers alike) spends no
 * retry. The download waits for the connection, however long, and then asks for the rest with
 * Range, so the bytes already fetched are not fetched again (the chunk cache alone would keep
 * only whole 64 MiB chunks, i.e. nothing of a smaller file). Before the first byte it fails
 * after its retries as usual: nothing would be lost, and the user is told at once.
 * Abort: the AbortSignal cancels the fetch, the body read and any backoff wait.
 */
import { DownloadAbortedError, FileUnavailableError } from './errors';
import { backoffDelayMs, parseContentRange, pushSample, throughput, type Sample } from './progress';

export interface DownloadProgress {
  /** Bytes of the file held so far (resumed bytes included). */
  loadedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  secondsLeft: number | undefined;
}

/** Where the bytes go, in order, starting at `start`. */
export interface DownloadSink {
  write(bytes: Uint8Array): Promise<void> | void;
  /** The server sent the whole file instead of the requested range: drop everything held, bytes restart at 0. */
  restart(): Promise<void> | void;
}

export interface DownloadOptions {
  /** Bytes already held (cached chunks); the request asks for the rest. */
  start?: number;
  /** Expected size (from the manifest); used for progress and to refuse an oversized body. */
  totalBytes: number;
  sink: DownloadSink;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Retries after a failure without progress (default 5). */
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Minimum milliseconds between progress reports (default 100; the last one is always sent). */
  progressIntervalMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Whether the browser says it is online (default: navigator.onLine, true where it is absent). */
  online?: () => boolean;
  /** How often to look at `online` while waiting for the connection to come back (default 1000 ms). */
  offlinePollMs?: number;
}

/** An HTTP status that no retry will fix. */
class FatalHttp extends Error {}
/** The sink failed (e.g. storage full): not a network problem, so never retried. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

export async function download(url: string, opts: DownloadOptions): Promise<{ restarted: boolean }> {
  return new FileDownload(url, opts).run();
}

/** The state of one download(): bytes held, retry budget, progress window. */
class FileDownload {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly retries: number;
  private readonly total: number;
  private readonly interval: number;
  private readonly name: string;
  private readonly online: () => boolean;

  private held: number;
  private restarted = false;
  private attempt = 0;
  /** The furthest any attempt reached (see recover). */
  private best: number;
  private window: Sample[];
  private lastReport = -Infinity;

  constructor(
    private readonly url: string,
    private readonly opts: DownloadOptions,
  ) {
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = opts.now ?? (() => performance.now());
    this.retries = opts.retries ?? 5;
    this.total = opts.totalBytes;
    this.interval = opts.progressIntervalMs ?? 100;
    this.name = fileName(url);
    this.online = opts.online ?? browserOnline;
    this.held = opts.start ?? 0;
    this.best = this.held;
    this.window = [{ timeMs: this.now(), loadedBytes: this.held }];
  }

  async run(): Promise<{ restarted: boolean }> {
    this.report(true);
    while (this.held < this.total) {
      throwIfAborted(this.opts.signal, this.name);
      try {
        const res = await this.request();
        if (res) await this.readBody(res);
      } catch (e) {
        await this.recover(e);
      }
    }
    this.report(true);
    return { restarted: this.restarted };
  }

  /**
   * Asks for the bytes from `held` on. Returns the response to read (after a restart when the
   * server sent the whole file), or null when it restarted and must ask again. Throws FatalHttp
   * for a status no retry fixes, an Error for one worth retrying.
   */
  private async request(): Promise<Response | null> {
    const headers: Record<string, string> = {};
    // Only Range, no If-Range: a single `bytes=N-` range is a CORS-safelisted header, so a
    // cross-origin model host needs no preflight. A file that changed between requests is
    // caught by the sha256 check afterwards (browser-store.ts then downloads from byte 0).
    if (this.held > 0) headers.Range = `bytes=${this.held}-`;
    // no-store: IndexedDB is the cache; letting the HTTP cache keep a second copy of a
    // gigabyte file would halve the room for models.
    const res = await this.fetchImpl(this.url, { headers, signal: this.opts.signal, cache: 'no-store' });
    if (res.status === 416 && this.held > 0) {
      await res.body?.cancel().catch(() => {});
      await this.restart(); // our offset is past the server's file: it changed; start over
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      const msg = `HTTP ${res.status} ${res.statusText}`.trim();
      if (res.status >= 500 || res.status === 408 || res.status === 429) throw new Error(msg);
      throw new FatalHttp(msg);
    }
    if (this.held > 0) {
      const range = res.status === 206 ? parseContentRange(res.headers.get('Content-Range')) : undefined;
      if (!range || range.start !== this.held || (range.total !== undefined && range.total !== this.total)) {
        if (res.status === 206) {
          // A range we did not ask for: read the whole file again, without Range.
          await res.body?.cancel().catch(() => {});
          await this.restart();
          return null;
        }
        await this.restart(); // 200: the body is the whole file from byte 0; keep reading it
      }
    }
    return res;
  }

  /** Streams the body into the sink; throws when it ends before the file does or runs past it. */
  private async readBody(res: Response): Promise<void> {
    if (!res.body) throw new Error('the response has no body');
    const reader = res.body.getReader();
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        if (this.held + value.length > this.total) {
          throw new FatalHttp(`the server sent more than the ${this.total} bytes the manifest lists`);
        }
        await sinkCall(() => this.opts.sink.write(value));
        this.held += value.length;
        this.report(false);
      }
    } finally {
      // Leaving early (error, oversize, abort): close the connection instead of leaving it open.
      if (!finished) reader.cancel().catch(() => {});
    }
    if (this.held < this.total) throw new Error(`the connection closed after ${this.held} of ${this.total} bytes`);
  }

  /**
   * After a failed attempt: rethrows what no retry fixes (sink failure, abort, fatal status, the
   * retry budget spent); otherwise waits (for the connection, or a backoff) before the next one.
   */
  private async recover(e: unknown): Promise<void> {
    const { opts, name, url } = this;
    if (e instanceof SinkFailure) throw e.error;
    if (opts.signal?.aborted) throw new DownloadAbortedError(name);
    if (e instanceof FatalHttp) throw new FileUnavailableError(name, url, e.message);
    if (this.held > 0 && !this.online()) {
      // The network is gone, not the server: wait for it instead of giving up on the bytes held.
      while (!this.online()) await sleep(opts.offlinePollMs ?? 1000, opts.signal, name);
      this.attempt = 0;
      return;
    }
    // Reached further than ever before: a fresh failure, so the retry budget starts over.
    // (Measured against the best so far, not this attempt, so a server that ignores Range
    // and cuts at the same place every time still runs out of retries.)
    if (this.held > this.best) {
      this.best = this.held;
      this.attempt = 0;
    }
    if (this.attempt >= this.retries) {
      throw new FileUnavailableError(
        name, url,
        `${(e as Error).message} (gave up after ${this.retries + 1} ${this.retries === 0 ? 'try' : 'tries'} at ${this.held} of ${this.total} bytes; check the connection and try again)`,
      );
    }
    await sleep(backoffDelayMs(this.attempt, opts.backoffBaseMs ?? 500, opts.backoffMaxMs ?? 8000, Math.random()), opts.signal, name);
    this.attempt++;
  }

  private report(force: boolean): void {
    const t = this.now();
    this.window = pushSample(this.window, { timeMs: t, loadedBytes: this.held });
    if (!this.opts.onProgress || (!force && t - this.lastReport < this.interval)) return;
    this.lastReport = t;
    this.opts.onProgress({ loadedBytes: this.held, totalBytes: this.total, ...throughput(this.window, this.total) });
  }

  /** The server sent the whole file (or another one): the sink drops everything, bytes restart at 0. */
  private async restart(): Promise<void> {
    await sinkCall(() => this.opts.sink.restart());
    this.held = 0;
    this.restarted = true;
    this.window = [{ timeMs: this.now(), loadedBytes: 0 }];
  }
}

/** Downloads a whole file into memory (no cache), e.g. for the Node CLI given a URL. */
export async function downloadToMemory(url: string, opts: Omit<DownloadOptions, 'sink' | 'start'>): Promise<Uint8Array> {
  const out = new Uint8Array(opts.totalBytes);
  let at = 0;
  await download(url, {
    ...opts,
    sink: {
      write(b) {
        out.set(b, at);
        at += b.length;
      },
      restart() {
        at = 0;
      },
    },
  });
  return out;
}

async function sinkCall(f: () => Promise<void> | void): Promise<void> {
  try {
    await f();
  } catch (e) {
    throw new SinkFailure(e);
  }
}

function fileName(url: string): string {
  try {
    return decodeURIComponent(new URL(url, 'http://x/').pathname.split('/').pop() || url);
  } catch {
    return url;
  }
}

function browserOnline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
}

function throwIfAborted(signal: AbortSignal | undefined, name: string): void {
  if (signal?.aborted) throw new DownloadAbortedError(name);
}

function sleep(ms: number, signal: AbortSignal | undefined, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DownloadAbortedError(name));
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DownloadAbortedError(name));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
