/**
 * A download cut while the browser is offline (#13 "the network drops in the middle of a model
 * download"): with bytes in hand it spends no retry while navigator.onLine is false, waits for the
 * connection however long, then asks for the rest with Range. Offline is driven by the test
 * (`online()` turns true after a fixed number of looks), never by the clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { downloadToMemory } from '../../../src/store/download';
import { DownloadAbortedError, FileUnavailableError } from '../../../src/store/errors';
import { startRangeServer, type RangeServer } from './range-server';

const data = new Uint8Array(randomBytes(3 << 20)); // 3 MiB
const CUT = 1 << 20;
const fast = { backoffBaseMs: 1, backoffMaxMs: 2, offlinePollMs: 1 };

/** The network as the browser sees it: while `offline`, every fetch fails at once, as Chromium's does. */
function network(srv: RangeServer) {
  const state = { offline: false, looks: 0, failedWhileOffline: 0, backAfterLooks: Infinity };
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (state.offline) {
      state.failedWhileOffline++;
      throw new TypeError('Failed to fetch');
    }
    return fetch(input, init);
  }) as typeof fetch;
  const online = () => {
    if (!state.offline) return true;
    if (++state.looks >= state.backAfterLooks) state.offline = false;
    return !state.offline;
  };
  return { state, fetch: fetchImpl, online };
}

describe('download across an offline period', () => {
  let srv: RangeServer;
  beforeAll(async () => {
    srv = await startRangeServer({ 'model.bin': data });
  });
  afterAll(() => srv.close());
  beforeEach(() => {
    srv.requests.length = 0;
    srv.behaviour = {};
  });

  it('waits while offline with bytes in hand, spending no retry, then fetches only the rest', async () => {
    const net = network(srv);
    // The server cuts the first response after 1 MiB, and the machine goes offline with it.
    srv.behaviour = { cutAfter: (i) => (i === 0 ? ((net.state.offline = true), CUT) : undefined) };
    // Back after 50 looks: with retries 1 and no waiting, the download would have given up long before.
    net.state.backAfterLooks = 50;
    const out = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, retries: 1, fetch: net.fetch, online: net.online, ...fast });
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(net.state.looks).toBe(50);
    // No request was even tried while offline.
    expect(net.state.failedWhileOffline).toBe(0);
    expect(srv.requests).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(srv.requests[1].range ?? '')?.[1]);
    // Resumed from the bytes received (all of the cut response's, at most), not from 0.
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(CUT);
  });

  it('with nothing in hand it fails after its retries as before, so the user is told at once', async () => {
    const net = network(srv);
    net.state.offline = true;
    const err = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, retries: 2, fetch: net.fetch, online: net.online, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect((err as Error).message).toMatch(/gave up after 3 tries at 0 of/);
    expect(net.state.failedWhileOffline).toBe(3);
  });

  it('the wait for the connection stops on cancel', async () => {
    const net = network(srv);
    const ctl = new AbortController();
    srv.behaviour = { cutAfter: (i) => (i === 0 ? ((net.state.offline = true), CUT) : undefined) };
    const online = () => {
      if (net.state.looks++ === 10) ctl.abort();
      return !net.state.offline;
    };
    const err = await downloadToMemory(srv.url('model.bin'), { totalBytes: data.length, fetch: net.fetch, online, signal: ctl.signal, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadAbortedError);
    expect(srv.requests).toHaveLength(1);
  });
});
