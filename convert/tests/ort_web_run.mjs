// Runs one ONNX graph in onnxruntime-web (wasm, in Node: the engine's CPU path) and writes its outputs,
// so the converter's tests can compare the browser runtime with onnxruntime on the same feeds.
// node ort_web_run.mjs SPEC.json — SPEC: { graph, external: [names beside the graph], feeds: {name:
// {dtype, dims, file}}, outputs: [names], out: folder }. Tensors are raw little-endian files.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-web';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
ort.env.wasm.numThreads = spec.threads ?? 1;
const folder = dirname(spec.graph);
const t0 = performance.now();
const session = await ort.InferenceSession.create(readFileSync(spec.graph), {
  executionProviders: ['wasm'],
  // as src/engine/sessions.ts passes them: the path the graph names, relative to its folder
  externalData: spec.external.map((path) => ({ path, data: readFileSync(join(folder, path)) })),
});
const typed = { float32: Float32Array, int64: BigInt64Array };
const feeds = {};
for (const [name, f] of Object.entries(spec.feeds)) {
  const buf = readFileSync(f.file);
  const data = new typed[f.dtype](buf.buffer, buf.byteOffset, buf.byteLength / typed[f.dtype].BYTES_PER_ELEMENT);
  feeds[name] = new ort.Tensor(f.dtype, data, f.dims);
}
const t1 = performance.now();
const out = await session.run(feeds);
const t2 = performance.now();
const written = { timings: { loadMs: t1 - t0, runMs: t2 - t1 } };
for (const name of spec.outputs) {
  const t = out[name];
  writeFileSync(join(spec.out, `${name}.bin`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  written[name] = { dims: t.dims, file: join(spec.out, `${name}.bin`) };
}
writeFileSync(join(spec.out, 'outputs.json'), JSON.stringify(written));
