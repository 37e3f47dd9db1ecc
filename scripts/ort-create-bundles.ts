/**
 * #13: why the page makes onnxruntime sessions about twice as slowly as Node. Times
 * `InferenceSession.create` of one graph, several times in a row, in a module worker of headless
 * Chromium (cross-origin isolated, so threaded wasm) with each onnxruntime-web bundle the app could
 * import, and in Node:
 *   - 'onnxruntime-web/webgpu' — what src/worker/engine-worker.ts imports: the asyncify build
 *     (ort-wasm-simd-threaded.asyncify.wasm, ~27 MB), instrumented so WebGPU calls can await;
 *   - 'onnxruntime-web/wasm' — the plain build (ort-wasm-simd-threaded.wasm, ~14 MB), wasm EP only;
 *   - Node's 'onnxruntime-web' (the plain build too), as the CLI and scripts/page-timings.ts use it.
 * The first create of each also starts onnxruntime's wasm runtime. A measurement, not a test.
 *
 *   nice -n 19 npx tsx scripts/ort-create-bundles.ts [--file denoiser.int8.onnx] [--threads 2] [--reps 4] [--rounds 2]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../tests/browser/harness';
import { listenOnLocalhost } from '../tests/browser/static-server';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: 'denoiser.int8.onnx' },
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROOT = resolve(import.meta.dirname, '..');
const MODEL = join(ROOT, 'public/models/vidlet-tiny');
const FILE = values.file!;
const THREADS = Number(values.threads);
const REPS = Number(values.reps);
const BUNDLES = { webgpu: 'onnxruntime-web/webgpu', wasm: 'onnxruntime-web/wasm' } as const;

const workerSource = (module: string) => `
import * as ort from '${module}';
self.onmessage = async () => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = ${THREADS};
  ort.env.wasm.proxy = false;
  const bytes = new Uint8Array(await (await fetch('/model/${FILE}')).arrayBuffer());
  const ms = [];
  for (let i = 0; i < ${REPS}; i++) {
    const t = performance.now();
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    ms.push(performance.now() - t);
    await s.release();
  }
  postMessage({ ms, isolated: self.crossOriginIsolated });
};`;
const workers: Record<string, string> = {};
for (const [name, module] of Object.entries(BUNDLES)) {
  const out = await build({ stdin: { contents: workerSource(module), resolveDir: ROOT, loader: 'js' }, bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', external: ['node:os'] });
  workers[name] = out.outputFiles[0]!.text;
}
const page = (name: string) => `<!doctype html><script type="module">
const w = new Worker('/${name}.mjs', { type: 'module' });
window.result = new Promise((r) => (w.onmessage = (e) => r(e.data)));
w.postMessage(0);
</script>`;

// COOP/COEP as the app's host sends them (threaded wasm needs cross-origin isolation).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const own = /^\/(webgpu|wasm)\.(html|mjs)$/.exec(path);
  if (own) return void res.writeHead(200, { ...isolation, 'Content-Type': own[2] === 'html' ? 'text/html' : 'text/javascript' }).end(own[2] === 'html' ? page(own[1]!) : workers[own[1]!]);
  const file = path.startsWith('/ort/') ? join(ROOT, 'node_modules/onnxruntime-web/dist', path.slice(5)) : path.startsWith('/model/') ? join(MODEL, path.slice(7)) : null;
  if (!file || path.includes('..') || !existsSync(file)) return void res.writeHead(404, isolation).end();
  const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream';
  res.writeHead(200, { ...isolation, 'Content-Type': type }).end(readFileSync(file));
});
const url = await listenOnLocalhost(server);
const profile = mkdtempSync(join(tmpdir(), 'ort-create-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const fmt = (ms: number[]) => ms.map((x) => Math.round(x)).join(', ');
try {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = THREADS;
  const bytes = new Uint8Array(readFileSync(join(MODEL, FILE)));
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const name of Object.keys(BUNDLES)) {
      const tab = await context.newPage();
      await tab.goto(`${url}${name}.html`);
      const r = (await tab.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as { ms: number[]; isolated: boolean };
      console.log(`round ${round}  Chromium, ${BUNDLES[name as keyof typeof BUNDLES]} (${THREADS} threads, isolated ${r.isolated}): ${FILE} create ms ${fmt(r.ms)}`);
      await tab.close();
    }
    const ms: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t = performance.now();
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      ms.push(performance.now() - t);
      await s.release();
    }
    console.log(`round ${round}  Node, onnxruntime-web (${THREADS} threads${round === 1 ? ', first create starts the runtime' : ''}): ${FILE} create ms ${fmt(ms)}`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.close();
}
