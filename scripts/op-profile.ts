/**
 * Where a component's time goes, op by op, in our runtime (onnxruntime-web, wasm) and natively
 * (onnxruntime-node, CPU, no spinning thread pool, as `vidlet bench`): the feeds of one real call,
 * captured from a generation through the engine, run `--runs` times in each runtime with
 * onnxruntime's profiler on; kernel time per op type, per run, and the ratio.
 *
 *   npx tsx scripts/op-profile.ts [--model public/models/vidlet-tiny] [--component denoiser] [--runs 20] [--threads 2]
 *
 * Profiled times are longer than plain ones (the profiler's own cost, in both); compare ratios.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ortWeb from 'onnxruntime-web';
import * as ortNode from 'onnxruntime-node';
import { VidletEngine } from '../src/engine/engine';
import type { Ort } from '../src/engine/sessions';
import { parseManifest } from '../src/store/manifest';
import { NodeFolderStore } from '../src/store/node-store';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/vidlet-tiny' },
    component: { type: 'string', default: 'denoiser' },
    runs: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
  },
});
const runs = Number(values.runs);
const threads = Number(values.threads);
const manifest = parseManifest(JSON.parse(readFileSync(join(values.model!, 'manifest.json'), 'utf8')));
const component = manifest.components[values.component as keyof typeof manifest.components];
if (!component) throw new Error(`${values.component} is not a component of ${values.model}`);
const file = join(values.model!, (component.variants.int8 ?? component.variants.fp32)!.files[0]!.path);
const inputs = Object.values(component.inputs);

// The engine's own call, at the batch a default generation uses (the first call of the largest batch).
let captured: Record<string, ortWeb.Tensor> | undefined;
const create = ortWeb.InferenceSession.create.bind(ortWeb.InferenceSession) as (...a: unknown[]) => Promise<ortWeb.InferenceSession>;
const spying = new Proxy(ortWeb, {
  get: (target, key) => key !== 'InferenceSession' ? (target as Record<string | symbol, unknown>)[key] : {
    create: async (...a: unknown[]) => {
      const s = await create(...a);
      if (inputs.every((i) => s.inputNames.includes(i)) && s.inputNames.length === inputs.length) {
        const run = s.run.bind(s) as (feeds: Record<string, ortWeb.Tensor>) => Promise<unknown>;
        (s as unknown as { run: unknown }).run = (feeds: Record<string, ortWeb.Tensor>) => {
          const batch = Object.values(feeds)[0]!.dims[0]!;
          if (!captured || batch > Object.values(captured)[0]!.dims[0]!) captured = feeds;
          return run(feeds);
        };
      }
      return s;
    },
  },
}) as unknown as Ort;
const engine = new VidletEngine(new NodeFolderStore(), spying);
const info = await engine.loadModel({ base: values.model! }, { numThreads: threads });
await engine.generate({ prompt: 'a red ball bounces on a blue background', seed: 1, steps: 2, guidance: info.defaults.guidance, innerGuidance: info.defaults.innerGuidance, sampler: 'euler' });
await engine.unload();
if (!captured) throw new Error(`no ${values.component} call was seen in a generation`);
const feeds = captured;

ortWeb.env.wasm.numThreads = threads;
const prefix = join(tmpdir(), `op-profile-${process.pid}`);
const web = await ortWeb.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'], graphOptimizationLevel: 'all', enableProfiling: true });
const native = await ortNode.InferenceSession.create(file, {
  executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
  enableProfiling: true, profileFilePrefix: prefix, extra: { session: { 'intra_op.allow_spinning': '0' } },
} as ortNode.InferenceSession.SessionOptions);
const nativeFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ortNode.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
for (let i = 0; i < runs; i++) await web.run(feeds);
for (let i = 0; i < runs; i++) await native.run(nativeFeeds);

// onnxruntime-web's wasm prints its profile (a JSON array of trace events) on stdout, through
// fs.writeSync from its own code, a moment after endProfiling (not awaited there): caught there.
const fs = createRequire(import.meta.url)('node:fs') as { writeSync: (fd: number, data: unknown, ...rest: unknown[]) => number };
const printed: string[] = [];
const writeSync = fs.writeSync;
fs.writeSync = (fd, data, ...rest) => (fd === 1 ? (printed.push(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString()), typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).length) : writeSync(fd, data, ...rest));
web.endProfiling();
for (let waited = 0; !printed.join('').trimEnd().endsWith(']') && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
fs.writeSync = writeSync;
const webText = printed.join('');
(native as unknown as { endProfiling(): void }).endProfiling(); // writes <prefix>_<date>.json
const nativeFile = readdirSync(tmpdir()).map((f) => join(tmpdir(), f)).find((f) => f.startsWith(`${prefix}_`)) ?? '';

type TraceEvent = { cat?: string; name: string; dur: number; args?: { op_name?: string } };
function perOp(events: TraceEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) out.set(e.args?.op_name ?? '?', (out.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 1000 / runs);
  }
  return out;
}
const webOps = perOp(JSON.parse(webText.slice(webText.indexOf('['), webText.lastIndexOf(']') + 1)) as TraceEvent[]);
const nativeOps = perOp(nativeFile ? (JSON.parse(readFileSync(nativeFile, 'utf8')) as TraceEvent[]) : []);
if (nativeFile) rmSync(nativeFile);
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const rows = [...new Set([...webOps.keys(), ...nativeOps.keys()])].sort((a, b) => (webOps.get(b) ?? 0) - (webOps.get(a) ?? 0));
const line = (op: string, w: number, n: number) => `${op.padEnd(28)}${w.toFixed(2).padStart(10)}${n.toFixed(2).padStart(10)}${(n > 0 ? `${(w / n).toFixed(2)}×` : '').padStart(9)}`;
console.log(`${values.component} (${file}), batch ${Object.values(feeds)[0]!.dims[0]}, ${threads} thread(s), ${runs} runs each; kernel ms per run`);
console.log(`${'op'.padEnd(28)}${'wasm'.padStart(10)}${'native'.padStart(10)}${'ratio'.padStart(9)}`);
for (const op of rows) console.log(line(op, webOps.get(op) ?? 0, nativeOps.get(op) ?? 0));
console.log(line('all ops', sum(webOps), sum(nativeOps)));
process.exit(0);
