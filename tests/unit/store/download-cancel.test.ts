/**
 * Cancelling a model download (issue #12). The fake fetch serves the file from a pull-driven
 * stream with no timers, and presses Cancel itself after a fixed number of pieces: the abort
 * is tied to an event (the Nth piece handed over), never to the clock, so the outcome is the
 * same on a loaded machine. Aborting must reject, keep the chunks stored before it, and the
 * next download must ask only for the rest and end with a verified file.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { DownloadAbortedError } from '../../../src/store/errors';
import type { PackageFile } from '../../../src/store/types';

const CHUNK = 256 << 10;
const PIECE = CHUNK / 8; // bytes per network read
// 2 whole chunks and half of the third: the half must not be kept. The margin of 4 pieces
// either side of a chunk boundary means buffering inside Response/ReadableStream (a read or two
// ahead) cannot change what is stored.
const PIECES_BEFORE_CANCEL = 2 * 8 + 4;
const KEPT = 2 * CHUNK;
const data = new Uint8Array(randomBytes(CHUNK * 4 + 12345)); // 5 chunks, the last one short
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const file: PackageFile = { path: 'denoiser.onnx', bytes: data.length, sha256: sha(data) };
const manifest = JSON.stringify({ format: 'vidlet-model', formatVersion: 1, name: 'cancel-test' });
const BASE = 'http://models.test/m/';

interface FileRequest {
  range: string | undefined;
  bytesSent: number;
}

/**
 * A fetch serving manifest.json and the file (Range-aware). When `cancelAfter` is set, the
 * body calls `cancel()` as it is asked for piece number cancelAfter + 1.
 */
function fakeNetwork() {
  const requests: FileRequest[] = [];
  let cancelAfter: number | undefined;
  let cancel: (() => void) | undefined;
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    if (url.endsWith('/manifest.json')) return new Response(manifest);
    if (!url.endsWith('/denoiser.onnx')) return new Response(null, { status: 404 });
    const range = (init?.headers as Record<string, string> | undefined)?.Range;
    const start = range ? Number(/^bytes=(\d+)-$/.exec(range)![1]) : 0;
    const request: FileRequest = { range, bytesSent: 0 };
    requests.push(request);
    let at = start;
    let pieces = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // As in browsers: aborting the fetch errors a body that is still being read.
        signal?.addEventListener('abort', () => controller.error(new DOMException('The operation was aborted.', 'AbortError')), { once: true });
      },
      pull(controller) {
        if (cancelAfter !== undefined && pieces === cancelAfter) {
          cancel?.();
          return;
        }
        const piece = data.slice(at, Math.min(at + PIECE, data.length));
        at += piece.length;
        pieces++;
        request.bytesSent += piece.length;
        controller.enqueue(piece);
        if (at >= data.length) controller.close();
      },
    });
    const headers: Record<string, string> = { 'Content-Length': String(data.length - start) };
    if (range) headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    return new Response(body, { status: range ? 206 : 200, headers });
  };
  return {
    fetch: fetchImpl as typeof fetch,
    requests,
    /** The next file request calls `press` after handing over `pieces` pieces. */
    cancelAfter(pieces: number, press: () => void) {
      cancelAfter = pieces;
      cancel = press;
    },
    neverCancel() {
      cancelAfter = undefined;
      cancel = undefined;
    },
  };
}

describe('cancelling a model download', () => {
  it('rejects, keeps the finished chunks, and the next download fetches only the rest', async () => {
    const cache = new ModelCache({ dbName: 'download-cancel', chunkBytes: CHUNK, storage: null });
    const net = fakeNetwork();
    const store = new BrowserModelStore({ cache, fetch: net.fetch, retries: 0 });

    // (a) Cancel after 2.5 chunks: the download rejects with the cancellation error.
    const ctl = new AbortController();
    net.cancelAfter(PIECES_BEFORE_CANCEL, () => ctl.abort());
    const error = await store.withSignal(ctl.signal).getFile(BASE, file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DownloadAbortedError);
    expect((error as DownloadAbortedError).name).toBe('AbortError');
    // The error says what stays: the two chunks stored before the cancel, not the half third.
    expect(error).toMatchObject({ path: file.path, keptBytes: KEPT, totalBytes: data.length });
    expect((error as Error).message).toMatch(/cancelled; 512\.0 KiB of 1\.0 MiB are kept/);
    // It stopped where it was cancelled: one request, nothing sent after the cancel, no retry.
    expect(net.requests).toEqual([{ range: undefined, bytesSent: PIECES_BEFORE_CANCEL * PIECE }]);

    // (b) The finished chunks are stored, byte for byte.
    const into = new Uint8Array(file.bytes);
    expect(await cache.readStored('cancel-test', file, into)).toEqual({ held: KEPT, complete: false });
    expect(Buffer.from(into.subarray(0, KEPT)).equals(Buffer.from(data.subarray(0, KEPT)))).toBe(true);
    // The model panel's listing (EngineHost.cacheUsage) counts them.
    expect(await cache.listModels()).toMatchObject([{ name: 'cancel-test', bytes: KEPT, files: 1, completeFiles: 0 }]);

    // (c) The next download (the store itself, no signal) asks only for the rest, and the file
    // it returns is whole and matches the manifest's sha256.
    net.neverCancel();
    const out = await store.getFile(BASE, file);
    expect(net.requests).toHaveLength(2);
    expect(net.requests[1]).toEqual({ range: `bytes=${KEPT}-`, bytesSent: data.length - KEPT });
    expect(out.length).toBe(file.bytes);
    expect(sha(out)).toBe(file.sha256);
    expect(await cache.readStored('cancel-test', file, new Uint8Array(file.bytes))).toMatchObject({ held: file.bytes, complete: true });
  });
});
