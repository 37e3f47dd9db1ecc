import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { download, downloadToMemory, type DownloadProgress } from '../../../src/store/download';
import { DownloadAbortedError, FileUnavailableError } from '../../../src/store/errors';
import { startRangeServer, type RangeServer } from './range-server';

const data = new Uint8Array(randomBytes(3 << 20)); // 3 MiB
const fast = { backoffBaseMs: 5, backoffMaxMs: 20 };

/** A sink that records writes and restarts, starting from `prefix` (bytes "already cached"). */
function memorySink(prefix = new Uint8Array(0)) {
  const parts: Uint8Array[] = [prefix];
  let restarts = 0;
  return {
    sink: {
      write: (b: Uint8Array) => void parts.push(b.slice()),
      restart: () => {
        parts.length = 0;
        restarts++;
      },
    },
    bytes: () => Buffer.concat(parts),
    restarts: () => restarts,
  };
}

describe('download', () => {
  let srv: RangeServer;
  beforeAll(async () => {
    srv = await startRangeServer({ 'model.bin': data });
  });
  afterAll(() => srv.close());
  beforeEach(() => {
    srv.requests.length = 0;
    srv.behaviour = {};
  });

  it('downloads a whole file with progress ending at its size', async () => {
    const seen: DownloadProgress[] = [];
    const out = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(seen[0].loadedBytes).toBe(0);
    expect(seen.at(-1)).toMatchObject({ loadedBytes: data.length, totalBytes: data.length, secondsLeft: 0 });
    expect(seen.every((p, i) => i === 0 || p.loadedBytes >= seen[i - 1].loadedBytes)).toBe(true);
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0].range).toBeUndefined();
  });

  it('resumes from cached bytes with Range: bytes=N- and appends the 206 body', async () => {
    const start = 1 << 20;
    const m = memorySink(data.slice(0, start));
    const r = await download(srv.url('model.bin'), { start, totalBytes: data.length, sink: m.sink });
    expect(r.restarted).toBe(false);
    expect(srv.requests.map((q) => q.range)).toEqual([`bytes=${start}-`]);
    expect(m.bytes().equals(Buffer.from(data))).toBe(true);
  });

  it('resumes after the connection is cut mid-way', async () => {
    srv.behaviour = { cutAfter: (i) => (i < 2 ? 700_000 : undefined) };
    const m = memorySink();
    await download(srv.url('model.bin'), { totalBytes: data.length, sink: m.sink, ...fast });
    expect(m.bytes().equals(Buffer.from(data))).toBe(true);
    expect(m.restarts()).toBe(0);
    expect(srv.requests).toHaveLength(3);
    expect(srv.requests[0].range).toBeUndefined();
    const second = Number(/bytes=(\d+)-/.exec(srv.requests[1].range!)![1]);
    const third = Number(/bytes=(\d+)-/.exec(srv.requests[2].range!)![1]);
    expect(second).toBeGreaterThan(0);
    expect(third).toBeGreaterThan(second);
    expect(srv.requests[1].ifRange).toBeUndefined(); // no If-Range: keeps cross-origin requests preflight-free
  });

  it('restarts cleanly when the server ignores Range and answers 200', async () => {
    srv.behaviour = { ignoreRange: true };
    const m = memorySink(data.slice(0, 1000).fill(7)); // stale cached bytes must be dropped
    const r = await download(srv.url('model.bin'), { start: 1000, totalBytes: data.length, sink: m.sink });
    expect(r.restarted).toBe(true);
    expect(m.restarts()).toBe(1);
    expect(m.bytes().equals(Buffer.from(data))).toBe(true);
  });

  it('restarts when the server says the range is past the end (416)', async () => {
    const m = memorySink(new Uint8Array(10));
    const r = await download(srv.url('model.bin'), { start: data.length + 10, totalBytes: data.length + 20, sink: m.sink, retries: 0 }).catch((e) => e);
    // the file is shorter than the manifest says: after restarting, the body ends early, and with no retries left it fails
    expect(r).toBeInstanceOf(FileUnavailableError);
    expect(m.restarts()).toBe(1);
    expect(srv.requests[0].range).toBe(`bytes=${data.length + 10}-`);
    expect(srv.requests[1].range).toBeUndefined();
  });

  it('gives up on a server that ignores Range and cuts at the same place every time', async () => {
    srv.behaviour = { ignoreRange: true, cutAfter: () => 500_000 };
    const err = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, retries: 2, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect(srv.requests.length).toBe(3); // the first try and 2 retries: repeating the same bytes is not progress
  });

  it('retries 503 with backoff, then succeeds', async () => {
    srv.behaviour = { failWith: (i) => (i < 2 ? 503 : undefined) };
    const out = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, ...fast });
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(srv.requests).toHaveLength(3);
  });

  it('gives up after the retries, saying how far it got', async () => {
    srv.behaviour = { failWith: () => 503 };
    const err = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, retries: 2, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect(err.message).toMatch(/model\.bin.*HTTP 503.*gave up after 3 tries at 0 of/);
    expect(srv.requests).toHaveLength(3);
  });

  it('does not retry a 404', async () => {
    const err = await downloadToMemory(srv.url('missing.bin'), { totalBytes: 10, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect(err.message).toMatch(/missing\.bin.*HTTP 404/);
    expect(srv.requests).toHaveLength(1);
  });

  it('refuses a body larger than the manifest size', async () => {
    const err = await downloadToMemory(srv.url('model.bin'), { totalBytes: 1000, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect(err.message).toMatch(/more than the 1000 bytes/);
  });

  it('stops on abort, also during a backoff wait', async () => {
    const ctl = new AbortController();
    srv.behaviour = { failWith: () => 503 };
    const p = downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, signal: ctl.signal, backoffBaseMs: 10_000, backoffMaxMs: 10_000 });
    setTimeout(() => ctl.abort(), 100);
    const t0 = Date.now();
    await expect(p).rejects.toBeInstanceOf(DownloadAbortedError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('passes a sink failure through without retrying', async () => {
    const err = await download(srv.url('model.bin'), {
      totalBytes: data.length, ...fast,
      sink: { write: () => { throw new RangeError('disk full'); }, restart: () => {} },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(srv.requests).toHaveLength(1);
  });
});
