/**
 * The converter's quantized MatMul in a real browser: the graphs its int8 and q4 quantizers write
 * (onnxruntime's MatMulNBits with 8 and 4 bits; tests/fixtures/quantized-matmul/make.py) run in
 * headless Chromium on onnxruntime-web's WebGPU provider (SwiftShader, the only adapter here) and on
 * wasm, every node on the provider asked for, and give onnxruntime's own output. The int8 form
 * changed from DequantizeLinear + MatMul to MatMulNBits (convert/README.md, "int8"), and a kernel
 * that read 8-bit blocks as 4-bit ones would still return numbers: this is the check that they are
 * the right ones, and that quantizing at all moved them (the fp32 graph's output differs).
 * Served by playwright routes from the repository (no server, no network).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchWebGpuChromium, routeCheckPage } from './helpers/webgpu-page';
import { available, CHROMIUM } from '../prerequisites';

const FIXTURE = 'tests/fixtures/quantized-matmul';
const ORIGIN = 'http://localhost:5397'; // localhost is a secure context: navigator.gpu exists
const VARIANTS = ['fp32', 'int8', 'q4'] as const;

interface Ref {
  shape: [number, number];
  x: number[];
  outputs: Record<(typeof VARIANTS)[number], { ops: string[]; y: number[]; relative_to_fp32: number }>;
}

const PAGE = `
import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
window.runCheck = async (variants) => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const ref = await (await fetch('/g/ref.json')).json();
  const out = {};
  for (const name of variants) {
    for (const ep of ['webgpu', 'wasm']) {
      // onnxruntime logs where each node went at verbose level ("All nodes placed on [...]"): the
      // test reads the console between these marks
      console.log('session ' + name + '/' + ep);
      const bytes = new Uint8Array(await (await fetch('/g/' + name + '.onnx')).arrayBuffer());
      const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0, logVerbosityLevel: 0 });
      const y = (await s.run({ x: new ort.Tensor('float32', Float32Array.from(ref.x), ref.shape) })).y.data;
      out[name + '/' + ep] = { y: Array.from(y) };
      await s.release();
    }
  }
  return out;
};
`;

const TITLE = "the converter's quantized MatMuls on WebGPU and wasm in Chromium";
describe.runIf(available(CHROMIUM, TITLE))(TITLE, () => {
  it('int8 (8-bit MatMulNBits) and q4 run with every node on the provider asked for and match onnxruntime', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURE, 'ref.json'), 'utf8')) as Ref;
    expect(ref.outputs.int8.ops).toEqual(['MatMulNBits']);
    expect(ref.outputs.q4.ops).toEqual(['MatMulNBits']);
    const browser = await launchWebGpuChromium('vidlet-qmatmul-');
    const ctx = browser.ctx;
    try {
      await routeCheckPage(ctx, ORIGIN, PAGE, { g: FIXTURE });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const placements: Record<string, string[]> = {};
      let current = '';
      page.on('console', (m) => {
        const text = m.text();
        const mark = /^session (\S+)$/.exec(text);
        if (mark) placements[(current = mark[1]!)] = [];
        else if (current && /nodes placed on/.test(text)) placements[current]!.push(text);
      });
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => typeof (window as unknown as { runCheck?: unknown }).runCheck === 'function');
      const got = (await page.evaluate((v) => (window as unknown as { runCheck: (v: string[]) => Promise<unknown> }).runCheck(v), [...VARIANTS])) as Record<
        string,
        { y: number[] }
      >;
      const relative = (a: number[], b: number[]) => {
        let err = 0;
        let peak = 0;
        for (let i = 0; i < b.length; i++) {
          err = Math.max(err, Math.abs(a[i]! - b[i]!));
          peak = Math.max(peak, Math.abs(b[i]!));
        }
        expect(peak).toBeGreaterThan(0); // not the silent all-zeros failure
        return err / peak;
      };
      for (const variant of VARIANTS) {
        const native = ref.outputs[variant].y;
        for (const [ep, provider] of [['webgpu', 'WebGpuExecutionProvider'], ['wasm', 'CPUExecutionProvider']] as const) {
          const run = got[`${variant}/${ep}`]!;
          expect((placements[`${variant}/${ep}`] ?? []).join('\n'), `${variant} on ${ep}`).toMatch(new RegExp(`All nodes placed on \\[${provider}\\]`));
          expect(relative(run.y, native), `${variant} on ${ep} vs onnxruntime`).toBeLessThan(1e-5);
        }
      }
      // Quantizing moved the output (8 bits far less than 4): the comparison above can tell them apart.
      expect(ref.outputs.int8.relative_to_fp32).toBeGreaterThan(1e-4);
      expect(ref.outputs.int8.relative_to_fp32).toBeLessThan(ref.outputs.q4.relative_to_fp32 / 4);
      expect(relative(got['int8/webgpu']!.y, ref.outputs.q4.y)).toBeGreaterThan(1e-3);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
