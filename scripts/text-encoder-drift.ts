/**
 * The text encoder's int8 variant against its fp32 graph in onnxruntime-web (wasm, the engine's
 * runtime), on the tokenizer + held-out eval prompts, tokenized by the engine's own tokenizer:
 * relative RMS of the token states (all positions / real tokens), cosine of the mean-pooled
 * states, and the time of each variant in the same run (batch 2, as the engine runs it).
 *
 *   npx tsx scripts/text-encoder-drift.ts [--model public/models/vidlet-tiny] [--threads 1]
 *
 * Python's counterpart: training/.venv/bin/python -m vidlet_train.quant --text-encoder ...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { PromptTokenizer } from '../src/engine/tokenizer';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'public/models/vidlet-tiny' }, threads: { type: 'string', default: '1' } } });
const dir = values.model!;
const m = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
const L: number = m.text.maxLength;
const H: number = m.text.hiddenSize;
const te = m.components.textEncoder;
const texts: string[] = [
  ...JSON.parse(readFileSync('tests/fixtures/tokenizer-cases.json', 'utf8')).cases.map((c: { text: string }) => c.text),
  ...JSON.parse(readFileSync('tests/fixtures/eval-prompts.json', 'utf8')).map((p: { prompt: string }) => p.prompt),
];
ort.env.wasm.numThreads = Number(values.threads);
ort.env.logLevel = 'error';
const tok = new PromptTokenizer(JSON.parse(readFileSync(`${dir}/${m.text.tokenizer}`, 'utf8')), L);
const sessions = Object.fromEntries(await Promise.all(['fp32', 'int8'].map(async (v) => [v,
  await ort.InferenceSession.create(readFileSync(`${dir}/${te.variants[v].files[0].path}`), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })])));
const ms: Record<string, number[]> = { fp32: [], int8: [] };
let num = 0, den = 0, numTok = 0, denTok = 0, cosMin = 1, cosSum = 0;
for (let i = 0; i < texts.length; i += 2) {
  const batch = texts.slice(i, i + 2);
  const e = tok.encodeBatch(batch);
  const feeds = { [te.inputs.input_ids]: new ort.Tensor('int64', e.inputIds, [batch.length, L]), [te.inputs.attention_mask]: new ort.Tensor('int64', e.attentionMask, [batch.length, L]) };
  const out: Record<string, Float32Array> = {};
  // alternate the order so neither variant always runs on a warmer cache
  for (const v of i % 4 ? ['int8', 'fp32'] : ['fp32', 'int8']) {
    const t0 = performance.now();
    const r = await sessions[v]!.run(feeds);
    ms[v]!.push(performance.now() - t0);
    out[v] = r[te.outputs.hidden]!.data as Float32Array;
  }
  for (let b = 0; b < batch.length; b++) {
    const pa = new Float64Array(H), pb = new Float64Array(H);
    for (let t = 0; t < L; t++) {
      const real = e.attentionMask[b * L + t] === 1n;
      for (let h = 0; h < H; h++) {
        const k = (b * L + t) * H + h;
        const a = out.fp32![k]!, c = out.int8![k]!;
        num += (a - c) ** 2; den += a * a;
        if (real) { numTok += (a - c) ** 2; denTok += a * a; pa[h] += a; pb[h] += c; }
      }
    }
    let dot = 0, na = 0, nb = 0;
    for (let h = 0; h < H; h++) { dot += pa[h]! * pb[h]!; na += pa[h]! ** 2; nb += pb[h]! ** 2; }
    const cos = dot / Math.sqrt(na * nb);
    cosMin = Math.min(cosMin, cos);
    cosSum += cos;
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(JSON.stringify({
  runtime: `onnxruntime-web ${ort.env.versions.web} wasm, ${values.threads} thread(s)`,
  texts: texts.length,
  relative_rms: Math.sqrt(num / den), relative_rms_tokens: Math.sqrt(numTok / denTok),
  cosine_min: cosMin, cosine_mean: cosSum / texts.length,
  median_ms_batch2: { fp32: median(ms.fp32!), int8: median(ms.int8!) },
  int8_over_fp32_time: median(ms.int8!) / median(ms.fp32!),
}, null, 1));
