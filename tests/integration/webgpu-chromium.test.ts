/**
 * The engine's backend code in a real browser: headless Chromium (Debian's, via playwright-core)
 * with --enable-unsafe-webgpu, where the only adapter is SwiftShader (BROWSER.md).
 *  - probeEnvironment + chooseBackend see the software adapter and pick wasm, saying why;
 *  - forcing WebGPU, sessions.ts creates and runs a real component (the preview decoder, small
 *    enough for a software GPU) on onnxruntime-web's WebGPU EP, and its output matches wasm;
 *  - after the GPU device is destroyed the run fails with DeviceLostError, and a session on a
 *    fresh device (requestFreshWebGpuDevice, as the engine's recovery does) gives the same output.
 * The page is served by playwright routes from the repository (no server, no network).
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { launchWebGpuChromium, routeCheckPage } from './helpers/webgpu-page';
import { available, CHROMIUM, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const ORIGIN = 'http://localhost:5399'; // localhost is a secure context: navigator.gpu exists

const ENTRY = `
import * as ort from 'onnxruntime-web/webgpu';
import { chooseBackend, chooseVariant, probeEnvironment } from './src/engine/backend';
import { createComponentSession, runComponent } from './src/engine/sessions';
import { gaussianNoise } from './src/engine/noise';
import { requestFreshWebGpuDevice } from './src/engine/webgpu-device';
window.runCheck = async () => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const env = await probeEnvironment();
  const auto = chooseBackend(env);
  const forced = chooseBackend(env, { backend: 'webgpu' });
  const manifest = await (await fetch('/model/manifest.json')).json();
  const comp = manifest.components.previewDecoder;
  const variant = chooseVariant('previewDecoder', comp.variants, forced).variant;
  const file = comp.variants[variant].files[0];
  const data = new Uint8Array(await (await fetch('/model/' + file.path)).arrayBuffer());
  const l = manifest.latent;
  const dims = [1, l.channels, l.frames, l.height, l.width];
  const latent = gaussianNoise(5, 7, dims.reduce((a, b) => a * b, 1));
  const outs = {};
  for (const backend of [forced, auto]) {
    const s = await createComponentSession(ort, 'previewDecoder', variant, comp, [{ path: file.path, data }], backend, ['latent'], ['preview']);
    const t0 = performance.now();
    const o = await runComponent(s, { latent: new ort.Tensor('float32', latent, dims) });
    outs[backend.backend] = { data: Array.from(o.preview.data), dims: o.preview.dims, ms: performance.now() - t0 };
    if (backend.backend === 'webgpu') {
      // Device loss: the old session fails with a DeviceLostError; a session on a fresh device
      // (what VidletEngine.recreateSessions does) gives the same output again.
      (await ort.env.webgpu.device).destroy();
      await new Promise((r) => setTimeout(r, 100));
      try { await runComponent(s, { latent: new ort.Tensor('float32', latent, dims) }); outs.lost = 'no error'; } catch (e) { outs.lost = e.name; }
      const device = await requestFreshWebGpuDevice();
      const s2 = await createComponentSession(ort, 'previewDecoder', variant, comp, [{ path: file.path, data }], backend, ['latent'], ['preview'], { executionProviders: [{ name: 'webgpu', device }] });
      const o2 = await runComponent(s2, { latent: new ort.Tensor('float32', latent, dims) });
      outs.recovered = { data: Array.from(o2.preview.data), dims: o2.preview.dims };
      await s2.session.release();
      continue;
    }
    await s.session.release();
  }
  return { env, auto, forced, variant, outs };
};
`;

const TITLE = 'backend choice and the WebGPU path in Chromium';
describe.runIf(available(SHIPPED_MODEL, TITLE) && available(CHROMIUM, TITLE))(TITLE, () => {
  it('software adapter → wasm with the reason; forced WebGPU runs a component and matches wasm', async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'ts' },
      bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022',
      external: ['node:os'],
    });
    const script = bundle.outputFiles[0]!.text;
    const browser = await launchWebGpuChromium('vidlet-webgpu-');
    const ctx = browser.ctx;
    try {
      await routeCheckPage(ctx, ORIGIN, script, { model: MODEL });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => typeof (window as unknown as { runCheck?: unknown }).runCheck === 'function');
      const r = (await page.evaluate(() => (window as unknown as { runCheck: () => Promise<unknown> }).runCheck())) as {
        env: { webgpu: { isFallbackAdapter: boolean; architecture: string; features: string[] } | null; webgpuProblem?: string };
        auto: { backend: string; reason: string; threads: number };
        forced: { backend: string; shaderF16: boolean };
        variant: string;
        outs: Record<string, { data: number[]; dims: number[]; ms: number }> & { lost: string };
      };
      console.log('chromium adapter:', r.env.webgpu ?? r.env.webgpuProblem, '| auto:', r.auto.backend, '-', r.auto.reason, '| ms:', r.outs.webgpu?.ms, 'webgpu vs', r.outs.wasm?.ms, 'wasm');

      // The only adapter here is SwiftShader: a software fallback must not be chosen.
      expect(r.env.webgpu).not.toBeNull();
      expect(r.env.webgpu!.isFallbackAdapter || /swiftshader/i.test(r.env.webgpu!.architecture)).toBe(true);
      expect(r.auto.backend).toBe('wasm');
      expect(r.auto.reason).toMatch(/software fallback/);
      expect(r.auto.reason).toMatch(/not cross-origin isolated/); // this page sends no COOP/COEP → 1 thread
      expect(r.auto.threads).toBe(1);
      // No shader-f16 on SwiftShader → never an fp16 variant.
      expect(r.forced.shaderF16).toBe(false);
      expect(r.variant).not.toBe('fp16');

      const gpu = r.outs.webgpu!;
      const cpu = r.outs.wasm!;
      expect(gpu.dims).toEqual(cpu.dims);
      let num = 0;
      let den = 0;
      for (let i = 0; i < cpu.data.length; i++) {
        num += (gpu.data[i]! - cpu.data[i]!) ** 2;
        den += cpu.data[i]! ** 2;
      }
      expect(den).toBeGreaterThan(0); // not the silent all-zeros failure
      expect(Math.sqrt(num / den)).toBeLessThan(1e-3);

      // After the device was destroyed: typed error, then the fresh-device session recovers.
      expect(r.outs.lost).toBe('DeviceLostError');
      expect(r.outs.recovered!.data).toEqual(gpu.data);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
