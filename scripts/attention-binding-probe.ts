/**
 * Does onnxruntime-web's WebGPU provider run an unfused attention whose scores are larger than the
 * device's maxStorageBufferBindingSize? (src/package/attention-fit.ts counts that limit because of
 * this answer.) One graph, MatMul(q, kᵀ) → Softmax → MatMul(·, v) with scores [1, 1, N, N] float32,
 * run in headless Chromium on WebGPU (SwiftShader, the adapter here) and on wasm, the same inputs;
 * the provider's binding limit is lowered below the scores' size with its session option
 * `ep.webgpuexecutionprovider.maxStorageBufferBindingSize` (which it then binds in segments). Prints
 * the largest difference from wasm over the first and the last 64 outputs (the last rows' scores lie
 * past the first segment). A measurement, not a test.
 *
 * Measured (onnxruntime-web 1.31.1, Chromium SwiftShader, N = 6000: 144 MB of scores): with a
 * 128 MiB binding limit the head matches wasm (1.1e-7) and the tail is off by 0.023, the size of the
 * outputs themselves (typicalOutput 0.023), without any error; with the adapter's own 1 GiB limit
 * both match (1.1e-7, 8.4e-8). onnxruntime's own device has the adapter's limits (ortDevice = adapter).
 *
 *   nice -n 19 npx tsx scripts/attention-binding-probe.ts [--tokens 6000] [--binding 134217728]   (--binding 0: the adapter's own)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, TRAINING_PYTHON } from '../tests/prerequisites';
import { launchWebGpuChromium, routeCheckPage } from '../tests/integration/helpers/webgpu-page';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '6000' }, binding: { type: 'string', default: String(128 * 2 ** 20) } } });
const N = Number(values.tokens);
const binding = Number(values.binding);
const ORIGIN = 'http://localhost:5398';

const MAKE_GRAPH = `
import sys, onnx
from onnx import helper, TensorProto
n, out = int(sys.argv[1]), sys.argv[2]
t = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
nodes = [helper.make_node('MatMul', ['q', 'kt'], ['s']), helper.make_node('Softmax', ['s'], ['p'], axis=-1), helper.make_node('MatMul', ['p', 'v'], ['o'])]
g = helper.make_graph(nodes, 'attention', [t('q', [1, 1, n, 8]), t('kt', [1, 1, 8, n]), t('v', [1, 1, n, 8])], [t('o', [1, 1, n, 8])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8
onnx.save(m, out)
`;

const PAGE = `
import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
window.runCheck = async (N, binding) => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  const limits = { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize };
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const q = new Float32Array(N * 8).map(rnd), kt = new Float32Array(N * 8).map(rnd), v = new Float32Array(N * 8).map(rnd);
  const bytes = new Uint8Array(await (await fetch('/g/attention.onnx')).arrayBuffer());
  const out = { limits };
  for (const ep of ['webgpu', 'wasm']) {
    const options = { executionProviders: [ep], logSeverityLevel: 2 };
    if (ep === 'webgpu' && binding > 0) options.extra = { ep: { webgpuexecutionprovider: { maxStorageBufferBindingSize: String(binding) } } };
    try {
      const session = await ort.InferenceSession.create(bytes, options);
      if (ep === 'webgpu') {
        // the device onnxruntime requested for itself: does it get the adapter's limits (what the engine's probe reads)?
        const device = await ort.env.webgpu.device;
        out.ortDevice = device && { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize };
      }
      const o = (await session.run({ q: new ort.Tensor('float32', q, [1, 1, N, 8]), kt: new ort.Tensor('float32', kt, [1, 1, 8, N]), v: new ort.Tensor('float32', v, [1, 1, N, 8]) })).o.data;
      out[ep] = { head: Array.from(o.slice(0, 64)), tail: Array.from(o.slice(o.length - 64)) };
      await session.release();
    } catch (e) {
      out[ep] = { error: String(e?.message ?? e).slice(0, 600) };
    }
  }
  return out;
};`;

interface Run { head?: number[]; tail?: number[]; error?: string }

const dir = mkdtempSync(join(tmpdir(), 'vidlet-attention-probe-'));
const browser = await launchWebGpuChromium('vidlet-attention-probe-profile-');
try {
  execFileSync(TRAINING_PYTHON.path, ['-c', MAKE_GRAPH, String(N), join(dir, 'attention.onnx')]);
  await routeCheckPage(browser.ctx, ORIGIN, PAGE, { g: dir });
  const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => typeof (window as unknown as { runCheck?: unknown }).runCheck === 'function');
  const r = (await page.evaluate(([n, b]) => (window as unknown as { runCheck: (n: number, b: number) => Promise<unknown> }).runCheck(n!, b!), [N, binding])) as {
    limits: Record<string, number>; ortDevice?: Record<string, number>; webgpu: Run; wasm: Run;
  };
  const diff = (a?: number[], b?: number[]) => (a && b ? Math.max(...a.map((x, i) => Math.abs(x - b[i]!))) : null);
  console.log(JSON.stringify({
    chromium: CHROMIUM.path, tokens: N, scoresBytes: N * N * 4, bindingLimit: binding || 'adapter', adapter: r.limits, ortDevice: r.ortDevice ?? null,
    webgpuError: r.webgpu.error ?? null, wasmError: r.wasm.error ?? null,
    maxAbsDiff: { head: diff(r.webgpu.head, r.wasm.head), tail: diff(r.webgpu.tail, r.wasm.tail) },
    typicalOutput: r.wasm.tail ? Math.max(...r.wasm.tail.map(Math.abs)) : null,
  }));
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
