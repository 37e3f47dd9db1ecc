// Runs one ONNX graph in onnxruntime-web (wasm, in Node: the engine's CPU path) and writes its outputs,
// so the converter's tests can compare the browser runtime with onnxruntime on the same feeds.
// node ort_web_run.mjs SPEC.json — SPEC: { graph, external: [names beside the graph], feeds: {name:
// {dtype, dims, file}}, outputs: [names], out: folder, parts?: [{ graph, external }] }. Tensors are raw
// little-endian files. `parts`: graphs run after the first, in order, as the engine runs a text encoder's
// parts: each takes what it names among the feeds and the earlier outputs, and each session is
// released before the next is created.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-web';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
ort.env.wasm.numThreads = spec.threads ?? 1;
const typed = { float32: Float32Array, int64: BigInt64Array };
const values = {};
for (const [name, f] of Object.entries(spec.feeds)) {
  const buf = readFileSync(f.file);
  const data = new typed[f.dtype](buf.buffer, buf.byteOffset, buf.byteLength / typed[f.dtype].BYTES_PER_ELEMENT);
  values[name] = new ort.Tensor(f.dtype, data, f.dims);
}
const timings = [];
for (const part of [{ graph: spec.graph, external: spec.external }, ...(spec.parts ?? [])]) {
  const folder = dirname(part.graph);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(readFileSync(part.graph), {
    executionProviders: ['wasm'],
    // as src/engine/sessions.ts passes them: the path the graph names, relative to its folder
    externalData: part.external.map((path) => ({ path, data: readFileSync(join(folder, path)) })),
  });
  const t1 = performance.now();
  Object.assign(values, await session.run(Object.fromEntries(session.inputNames.map((n) => [n, values[n]]))));
  timings.push({ graph: part.graph, loadMs: t1 - t0, runMs: performance.now() - t1 });
  await session.release();
}
const out = values;
const total = (key) => timings.reduce((sum, t) => sum + t[key], 0);
const written = { timings: { loadMs: total('loadMs'), runMs: total('runMs'), parts: timings } };
for (const name of spec.outputs) {
  const t = out[name];
  writeFileSync(join(spec.out, `${name}.bin`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  written[name] = { dims: t.dims, file: join(spec.out, `${name}.bin`) };
}
writeFileSync(join(spec.out, 'outputs.json'), JSON.stringify(written));
