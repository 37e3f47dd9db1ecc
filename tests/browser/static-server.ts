/**
 * A plain static file server (node:http), standing in for any static host the built app is
 * deployed to: no vite, no service-worker awareness. It sends the COOP/COEP headers a host needs to
 * configure for multithreaded WebAssembly (README, "Browsers") and answers single byte ranges (the
 * model download resumes with `Range: bytes=N-`). Tests use it to deploy another build at the same
 * origin (`deploy`), to take the network away (`offline`: every request is refused and recorded) and
 * to lose a file (`missing`).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

export interface StaticServer {
  url: string;
  /** Serves another directory from now on, at the same origin: a new deployment. */
  deploy(root: string): void;
  /** While true, every request is refused (socket closed, no answer) and its path recorded in `refused`. */
  offline: boolean;
  readonly refused: string[];
  /** Paths answered 404 although the deployment has them: a host that lost a file. */
  readonly missing: Set<string>;
  stop(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and returns the server's base URL. */
export async function listenOnLocalhost(server: Server): Promise<string> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}/`;
}

export async function startStaticServer(root: string): Promise<StaticServer> {
  let current = root;
  const refused: string[] = [];
  const state = { offline: false };
  const missing = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (state.offline) {
      refused.push(path);
      req.socket.destroy();
      return;
    }
    const file = normalize(join(current, path.endsWith('/') ? `${path}index.html` : path));
    let size: number;
    try {
      if (missing.has(path)) throw new Error('held back by the test');
      if (!file.startsWith(current + sep)) throw new Error('outside the root');
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const headers: Record<string, string | number> = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Accept-Ranges': 'bytes',
      // As a static host would revalidate: the service worker script must never be stale for long.
      'Cache-Control': 'no-cache',
    };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (range && start < size) {
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${size - 1}/${size}`, 'Content-Length': size - start });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': size });
    }
    if (req.method === 'HEAD') res.end();
    else createReadStream(file, { start: range && start < size ? start : 0 }).pipe(res);
  });
  const url = await listenOnLocalhost(server);
  return {
    url,
    deploy(dir) {
      current = dir;
    },
    get offline() {
      return state.offline;
    },
    set offline(value: boolean) {
      state.offline = value;
    },
    refused,
    missing,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
