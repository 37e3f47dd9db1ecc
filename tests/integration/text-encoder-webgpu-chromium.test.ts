/**
 * The weight-only int8 text encoder (DequantizeLinear → MatMul, int8 Gather → Cast → Mul, Where;
 * training/vidlet_train/quant.py) on onnxruntime-web's WebGPU EP — the bundle the page's worker
 * uses (`onnxruntime-web/webgpu`) — in headless Chromium on the SwiftShader adapter: the session
 * is created, ORT's node placement is read from its verbose log (which nodes fall back to the
 * CPU), and the token states equal the wasm ones for a prompt and "" (batch 2, as the engine runs
 * it). The engine picks fp32 on WebGPU (backend.ts); this checks that int8 works there when forced.
 * Opt-in (VIDLET_WEBGPU_E2E=1): a 24 MB graph on a software GPU takes a while.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { launchWebGpuChromium, routeCheckPage } from './helpers/webgpu-page';
import { available, CHROMIUM, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const ORIGIN = 'http://localhost:5398'; // localhost is a secure context: navigator.gpu exists

const ENTRY = `
import * as ort from 'onnxruntime-web/webgpu';
import { PromptTokenizer } from './src/engine/tokenizer';
window.runCheck = async () => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const manifest = await (await fetch('/model/manifest.json')).json();
  const comp = manifest.components.textEncoder;
  const file = comp.variants.int8.files[0];
  const data = new Uint8Array(await (await fetch('/model/' + file.path)).arrayBuffer());
  const L = manifest.text.maxLength;
  const tok = new PromptTokenizer(await (await fetch('/model/' + manifest.text.tokenizer)).json(), L);
  const e = tok.encodeBatch(['a red circle moves left on a blue background', '']);
  const feeds = () => ({ [comp.inputs.input_ids]: new ort.Tensor('int64', e.inputIds, [2, L]), [comp.inputs.attention_mask]: new ort.Tensor('int64', e.attentionMask, [2, L]) });
  const outs = {};
  for (const ep of ['webgpu', 'wasm']) {
    const s = await ort.InferenceSession.create(data, { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: ep === 'webgpu' ? 0 : 3 });
    const t0 = performance.now();
    const o = await s.run(feeds());
    outs[ep] = { data: Array.from(o[comp.outputs.hidden].data), ms: performance.now() - t0 };
    await s.release();
  }
  return outs;
};
`;

const TITLE = 'int8 text encoder on the WebGPU EP (Chromium, SwiftShader)';
// Opt-in (slow): without VIDLET_WEBGPU_E2E=1 it is skipped on purpose; with it, Chromium must be there.
describe.runIf(process.env.VIDLET_WEBGPU_E2E === '1' && available(SHIPPED_MODEL, TITLE) && available(CHROMIUM, TITLE))(TITLE, () => {
  it('runs on webgpu and equals wasm', async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'ts' },
      bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', external: ['node:os'],
    });
    const script = bundle.outputFiles[0]!.text;
    const browser = await launchWebGpuChromium('vidlet-te-webgpu-');
    const ctx = browser.ctx;
    try {
      await routeCheckPage(ctx, ORIGIN, script, { model: MODEL });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const log: string[] = [];
      page.on('console', (m) => log.push(m.text()));
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => typeof (window as unknown as { runCheck?: unknown }).runCheck === 'function');
      const r = (await page.evaluate(() => (window as unknown as { runCheck: () => Promise<unknown> }).runCheck())) as Record<'webgpu' | 'wasm', { data: number[]; ms: number }>;
      // ORT's verbose log lists the nodes of each EP after "Node(s) placed on [EP]"; shape
      // computations (Shape, Gather/Unsqueeze/Concat on shapes, ...) go to the CPU by design.
      const start = log.findIndex((l) => /Node placements/.test(l));
      const cpu: string[] = [];
      let onCpu = false;
      for (const l of log.slice(start + 1)) {
        if (/placed on \[/.test(l)) onCpu = /CPUExecutionProvider/.test(l);
        else if (/VerifyEachNodeIsAssignedToAnEp/.test(l) && onCpu) cpu.push(l.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]\s*/, ''));
        if (/not assigned|Node placements/.test(l) && l !== log[start]) break;
      }
      const cpuOps = cpu.map((l) => l.trim().split(/\s|\(/)[0]!).filter(Boolean);
      const counts: Record<string, number> = {};
      for (const op of cpuOps) counts[op] = (counts[op] ?? 0) + 1;
      console.log('nodes on the CPU EP by op type:', counts, cpu.filter((l) => !/^ *(Shape|Unsqueeze|Concat|Div|Range) /.test(l)));
      console.log(`text encoder int8, batch 2: webgpu ${r.webgpu.ms.toFixed(0)} ms (SwiftShader), wasm ${r.wasm.ms.toFixed(0)} ms`);
      let num = 0;
      let den = 0;
      for (let i = 0; i < r.wasm.data.length; i++) {
        num += (r.webgpu.data[i]! - r.wasm.data[i]!) ** 2;
        den += r.wasm.data[i]! ** 2;
      }
      console.log('relative RMS webgpu vs wasm:', Math.sqrt(num / den));
      expect(den).toBeGreaterThan(0); // not the silent all-zeros failure
      expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
      // The weight path runs on the GPU: no DequantizeLinear, MatMul, Mul, Where or Add on the CPU.
      // Measured (ORT-web 1.30): the word-table lookup (int8 Gather + its Cast) and the Equal on
      // the int64 token ids run on the CPU EP — [B,64,384] floats cross to the GPU once per call.
      expect(start).toBeGreaterThanOrEqual(0);
      for (const op of ['DequantizeLinear', 'MatMul', 'Mul', 'Where', 'Add']) expect(counts[op] ?? 0, op).toBe(0);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
