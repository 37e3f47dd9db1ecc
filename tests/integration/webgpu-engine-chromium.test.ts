/**
 * The whole engine on onnxruntime-web's WebGPU EP in headless Chromium (SwiftShader, the only
 * adapter here), against the same engine on wasm in the same page: the clips must agree.
 * SwiftShader makes this slow (~50 s for 2 steps at B = 3, most of it the VAE decoder), so it
 * runs only with VIDLET_WEBGPU_E2E=1 (measured 10:58: mean |Δ| 0.00016 levels, max 1).
 * Files are served by a local http server: a playwright route fulfilling the 90 MB text
 * encoder crashes the page (DevTools protocol message size), a real server does not.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { launchWebGpuChromium } from './helpers/webgpu-page';
import { available, CHROMIUM, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const PORT = 5396;

const ENTRY = `
import * as ort from 'onnxruntime-web/webgpu';
import { VidletEngine } from './src/engine/engine';
const store = {
  readManifest: async (b) => (await fetch(b + 'manifest.json')).json(),
  readText: async (b, p) => (await fetch(b + p)).text(),
  getFile: async (b, f) => new Uint8Array(await (await fetch(b + f.path)).arrayBuffer()),
};
window.runEngine = async (backend) => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const e = new VidletEngine(store, ort);
  const info = await e.loadModel({ base: '/model/' }, { backend, variant: 'fp32' });
  const steps = [];
  const r = await e.generate({ prompt: 'a red circle moves left', seed: 3, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' }, { onStep: (s) => steps.push(s.step) });
  await e.unload();
  return { backend: info.backend.backend, steps, batch: r.batch, timings: r.timings, data: Array.from(r.video.data) };
};`;

const TITLE = 'the whole engine on WebGPU (Chromium, SwiftShader)';
// Opt-in (slow): without VIDLET_WEBGPU_E2E=1 it is skipped on purpose; with it, Chromium must be there.
describe.runIf(process.env.VIDLET_WEBGPU_E2E === '1' && available(SHIPPED_MODEL, TITLE) && available(CHROMIUM, TITLE))(TITLE, () => {
  it('generates the same clip as on wasm', async () => {
    const script = (await build({ stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', external: ['node:os'] })).outputFiles[0]!.text;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/check.mjs"></script>');
      if (path === '/check.mjs') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      const file = path.startsWith('/ort/') ? `node_modules/onnxruntime-web/dist/${path.slice(5)}` : path.startsWith('/model/') ? `${MODEL}/${path.slice(7)}` : null;
      if (!file || file.includes('..') || !existsSync(file)) return res.writeHead(404).end();
      const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
    const browser = await launchWebGpuChromium('vidlet-webgpu-engine-');
    const ctx = browser.ctx;
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(`http://localhost:${PORT}/`);
      await page.waitForFunction(() => typeof (window as unknown as { runEngine?: unknown }).runEngine === 'function');
      type Run = { backend: string; steps: number[]; batch: number; timings: { totalMs: number }; data: number[] };
      const run = (b: string) => page.evaluate((backend) => (window as unknown as { runEngine: (b: string) => Promise<Run> }).runEngine(backend), b);
      const wasm = await run('wasm');
      const gpu = await run('webgpu');
      expect(wasm.backend).toBe('wasm');
      expect(gpu.backend).toBe('webgpu');
      expect(gpu.steps).toEqual([1, 2]);
      expect(gpu.batch).toBe(3);
      expect(gpu.data.length).toBe(wasm.data.length);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < gpu.data.length; i++) {
        const d = Math.abs(gpu.data[i]! - wasm.data[i]!);
        sum += d;
        max = Math.max(max, d);
      }
      console.log(`WebGPU vs wasm clip: mean |Δ| ${(sum / gpu.data.length).toFixed(5)}, max ${max}; ${(gpu.timings.totalMs / 1000).toFixed(1)} s vs ${(wasm.timings.totalMs / 1000).toFixed(1)} s`);
      expect(sum / gpu.data.length).toBeLessThan(0.05);
      expect(max).toBeLessThanOrEqual(2);
    } finally {
      await browser.close();
      server.close();
    }
  }, 300_000);
});
