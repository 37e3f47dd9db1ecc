/**
 * Cancelling a model download (issue #12): a fake fetch delivers the file slowly, like a real
 * connection, and honours its AbortSignal as browsers do. Aborting mid-way must reject at once,
 * keep the chunks already stored, and the next download must fetch only the rest.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { DownloadAbortedError } from '../../../src/store/errors';
import type { PackageFile } from '../../../src/store/types';

const CHUNK = 256 << 10;
const PIECE = 32 << 10; // bytes per network read
const data = new Uint8Array(randomBytes(CHUNK * 4 + 12345)); // 5 chunks, the last one short
const file: PackageFile = { path: 'denoiser.onnx', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
const manifest = JSON.stringify({ format: 'vidlet-model', formatVersion: 1, name: 'cancel-test' });
const BASE = 'http://models.test/m/';

/** A fetch serving manifest.json and the file (Range-aware), one PIECE every `delayMs`. */
function slowFetch(delayMs: number) {
  const log: { range: string | undefined; bytesSent: number }[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    if (url.endsWith('/manifest.json')) return new Response(manifest);
    if (!url.endsWith('/denoiser.onnx')) return new Response(null, { status: 404 });
    const range = (init?.headers as Record<string, string> | undefined)?.Range;
    const start = range ? Number(/^bytes=(\d+)-$/.exec(range)![1]) : 0;
    const entry = { range, bytesSent: 0 };
    log.push(entry);
    let at = start;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // As in browsers: aborting the fetch errors a body that is still being read.
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          controller.error(new DOMException('The operation was aborted.', 'AbortError'));
        }, { once: true });
      },
      pull(controller) {
        return new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            if (signal?.aborted) return resolve();
            const piece = data.slice(at, Math.min(at + PIECE, data.length));
            at += piece.length;
            entry.bytesSent += piece.length;
            controller.enqueue(piece);
            if (at >= data.length) controller.close();
            resolve();
          }, delayMs);
        });
      },
    });
    const headers: Record<string, string> = { 'Content-Length': String(data.length - start) };
    if (range) headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    return new Response(body, { status: range ? 206 : 200, headers });
  };
  return { fetch: fetchImpl as typeof fetch, log };
}

describe('cancelling a model download', () => {
  it('rejects promptly, keeps the finished chunks, and the next download fetches only the rest', async () => {
    const cache = new ModelCache({ dbName: 'download-cancel', chunkBytes: CHUNK, storage: null });
    const net = slowFetch(5);
    const store = new BrowserModelStore({ cache, fetch: net.fetch, retries: 0 });

    // (a) abort once 2.5 chunks have arrived: the promise rejects with an abort error at once.
    const ctl = new AbortController();
    let abortedAt = 0;
    const pending = store.withSignal(ctl.signal).getFile(BASE, file, (p) => {
      if (!ctl.signal.aborted && p.loadedBytes >= 2.5 * CHUNK) {
        abortedAt = performance.now();
        ctl.abort();
      }
    });
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    const rejectMs = performance.now() - abortedAt;
    expect(error).toBeInstanceOf(DownloadAbortedError);
    expect((error as DownloadAbortedError).name).toBe('AbortError');
    expect(abortedAt).toBeGreaterThan(0);
    expect(rejectMs).toBeLessThan(250); // the rest of the file would take ~50 pieces × 5 ms
    expect(net.log).toHaveLength(1);
    expect(net.log[0]!.bytesSent).toBeLessThan(data.length); // it really stopped mid-way
    // The error says what stays: the two chunks stored before the abort.
    expect(error).toMatchObject({ path: file.path, keptBytes: 2 * CHUNK, totalBytes: data.length });
    expect((error as Error).message).toMatch(/cancelled; 512\.0 KiB of 1\.0 MiB are kept/);

    // (b) the finished chunks are still stored.
    const into = new Uint8Array(file.bytes);
    const stored = await cache.readStored('cancel-test', file, into);
    expect(stored).toEqual({ held: 2 * CHUNK, complete: false });
    expect(Buffer.from(into.subarray(0, 2 * CHUNK)).equals(Buffer.from(data.subarray(0, 2 * CHUNK)))).toBe(true);
    expect(await store.plan(BASE, [file])).toMatchObject({ cachedBytes: 2 * CHUNK, downloadBytes: data.length - 2 * CHUNK });

    // (c) the next download (the store itself, no signal) asks only for the rest and verifies.
    const out = await store.getFile(BASE, file);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(net.log).toHaveLength(2);
    expect(net.log[1]).toEqual({ range: `bytes=${2 * CHUNK}-`, bytesSent: data.length - 2 * CHUNK });
  });
});
