/** A local HTTP server for download tests: honours Range, and can cut, fail or ignore ranges on cue. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Behaviour {
  /** For request number i (0-based): cut the connection after this many body bytes. */
  cutAfter?: (i: number, path: string) => number | undefined;
  /** For request number i: answer with this status and no body (e.g. 503). */
  failWith?: (i: number, path: string) => number | undefined;
  /** Always answer 200 with the whole file, ignoring Range. */
  ignoreRange?: boolean;
  etag?: string;
}

export interface RangeServer {
  url: (path: string) => string;
  requests: { path: string; range: string | undefined; ifRange: string | undefined }[];
  behaviour: Behaviour;
  close: () => Promise<void>;
}

export async function startRangeServer(files: Record<string, Uint8Array>): Promise<RangeServer> {
  const requests: RangeServer['requests'] = [];
  const state: { behaviour: Behaviour } = { behaviour: {} };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const i = requests.length;
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    requests.push({ path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined });
    const b = state.behaviour;
    const data = files[path];
    if (!data) return void res.writeHead(404).end();
    const fail = b.failWith?.(i, path);
    if (fail) return void res.writeHead(fail).end();
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { 'Accept-Ranges': 'bytes' };
    if (b.etag) headers.ETag = b.etag;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !b.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) return void res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    const body = data.subarray(start);
    headers['Content-Length'] = body.length;
    res.writeHead(status, headers);
    const cut = b.cutAfter?.(i, path);
    if (cut !== undefined && cut < body.length) {
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}/${p}`,
    requests,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(v: Behaviour) {
      state.behaviour = v;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
