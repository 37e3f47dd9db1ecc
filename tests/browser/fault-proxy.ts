/**
 * An HTTP proxy in front of a test's static server (static-server.ts) that plays network faults on
 * cue and counts what went through: per path, the body bytes delivered and the Range of each
 * request. A fault is tied to bytes, not to the clock: `cutAt(pattern, offset)` closes the
 * connection of the next response of a matching path once the file's bytes up to an offset (an
 * absolute position in the file, chosen from the file's size) have been delivered and flushed;
 * `onCut` runs just before the socket closes. `refuseNext(pattern, n)` refuses the next n requests
 * of matching paths (socket closed, no answer): a server-side outage that ends after a known number
 * of tries, not after a time.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLocalhost } from './static-server';

export interface ProxiedRequest {
  path: string;
  range: string | undefined;
  /** Body bytes this response delivered (so far). */
  delivered: number;
  /** Closed on purpose by a cut. */
  cut: boolean;
}

export interface FaultProxy {
  url: string;
  readonly requests: ProxiedRequest[];
  /** Refuses the next `count` requests of paths matching `pattern` (replaces an earlier rule). */
  refuseNext(pattern: RegExp, count: number): void;
  readonly refused: string[];
  /** Cuts the next matching response once the file's bytes up to `offset(fileBytes)` are delivered; `onCut(offset)` runs just before the socket closes. */
  cutAt(pattern: RegExp, offset: (fileBytes: number) => number, onCut?: (offset: number) => void): void;
  /** Runs `hold` before answering the next matching request (the response waits for it). */
  holdNext(pattern: RegExp, hold: () => Promise<void>): void;
  /** Body bytes delivered for paths matching `pattern`, over all requests. */
  deliveredBytes(pattern: RegExp): number;
  stop(): Promise<void>;
}

interface Cut {
  pattern: RegExp;
  offset: (fileBytes: number) => number;
  onCut?: (offset: number) => void;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const refused: string[] = [];
  const cuts: Cut[] = [];
  const holds: { pattern: RegExp; hold: () => Promise<void> }[] = [];
  const refusal = { pattern: /$^/, count: 0 };

  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (refusal.count > 0 && refusal.pattern.test(path)) {
      refusal.count--;
      refused.push(path);
      req.socket.destroy();
      return;
    }
    const holdAt = holds.findIndex((h) => h.pattern.test(path));
    if (holdAt >= 0) await holds.splice(holdAt, 1)[0].hold();
    const record: ProxiedRequest = { path, range: req.headers.range, delivered: 0, cut: false };
    requests.push(record);
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      const cutAt = cuts.findIndex((c) => c.pattern.test(path));
      const cut = cutAt >= 0 ? cuts.splice(cutAt, 1)[0] : undefined;
      // Where this body starts in the file: 0, or the start of the 206's Content-Range.
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(upRes.headers['content-range'] ?? ''));
      const start = range ? Number(range[1]) : 0;
      const fileBytes = range ? Number(range[2]) : Number(upRes.headers['content-length'] ?? 0);
      const offset = cut ? cut.offset(fileBytes) : Infinity;
      let position = start;
      upRes.on('data', (chunk: Buffer) => {
        if (record.cut) return;
        if (cut && position + chunk.length >= offset) {
          const part = chunk.subarray(0, Math.max(0, offset - position));
          record.delivered += part.length;
          record.cut = true;
          upRes.destroy();
          // Once the part is flushed to the socket, close it: the browser gets exactly `offset` bytes, then a broken body.
          res.write(part, () => {
            cut.onCut?.(offset);
            res.socket?.destroy();
          });
          return;
        }
        position += chunk.length;
        record.delivered += chunk.length;
        if (!res.write(chunk)) {
          upRes.pause();
          res.once('drain', () => upRes.resume());
        }
      });
      upRes.on('end', () => {
        if (!record.cut) res.end();
      });
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  const url = await listenOnLocalhost(server);
  return {
    url,
    requests,
    refused,
    refuseNext(pattern, count) {
      refusal.pattern = pattern;
      refusal.count = count;
    },
    cutAt(pattern, offset, onCut) {
      cuts.push({ pattern, offset, onCut });
    },
    holdNext(pattern, hold) {
      holds.push({ pattern, hold });
    },
    deliveredBytes: (pattern) => requests.filter((r) => pattern.test(r.path)).reduce((n, r) => n + r.delivered, 0),
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
