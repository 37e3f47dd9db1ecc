/**
 * An adapter = LoRA weights (.safetensors, PEFT-style names) + a JSON description. This file
 * checks both against the model's LoRA slots (manifest `lora`) and lays the weights out as one
 * slot's rows of the denoiser inputs `lora_down [S,D,P,R,C]` and `lora_up [S,D,P,C,R]`
 * (docs/model-package.md, "LoRA slots"; format in docs/adapter-format.md).
 *
 * For block d, projection p: y = W·x + scale · up·(down·x) with down = A (rank rows, zero-padded
 * to R) and up = (alpha/r)·B (rank columns, zero-padded to R). Padding rows/columns are zero, so
 * a rank-r adapter in a rank-R slot computes exactly (alpha/r)·B·A·x.
 */
import type { LoraLayout } from '../lora-slots';
import { parseAdapterDescription, type AdapterDescription } from './description';
import { AdapterError } from './errors';
import { parseSafetensors, tensorToFloat32, type SafetensorsTensor } from './safetensors';


export interface LoadedAdapter {
  description: AdapterDescription;
  /** LoRA rank r (≤ layout.rank) and alpha, from the file's __metadata__. */
  rank: number;
  alpha: number;
  /** Layers the adapter changes, e.g. 'blocks.0.attn.q', in block then target order. */
  layers: string[];
  /** One slot of lora_down: [D, P, R, C], row-major, A zero-padded to R rows. */
  down: Float32Array;
  /** One slot of lora_up: [D, P, C, R], row-major, (alpha/r)·B zero-padded to R columns. */
  up: Float32Array;
}

export interface AdapterInput {
  /** The .safetensors bytes (not copied; the result does not keep them). */
  weights: Uint8Array;
  /** The description JSON, already parsed from text. */
  description: unknown;
  /** Names the adapter in errors until its description is read (e.g. the dropped file's name). */
  source?: string;
}

export interface TargetModel {
  /** manifest.name; an adapter trained on another model is refused. */
  name: string;
  lora: LoraLayout;
}

// PEFT saves `base_model.model.<module path>`; we accept that prefix so PEFT exports load as is.
const LAYER_NAME = /^(?:base_model\.model\.)?blocks\.(0|[1-9][0-9]*)\.(.+)\.lora_(A|B)\.weight$/;

/** Validates an adapter against a model and returns its slot arrays; throws AdapterError. */
export function loadAdapter(input: AdapterInput, model: TargetModel): LoadedAdapter {
  const description = parseAdapterDescription(input.description, input.source ?? 'adapter description');
  const label = `Adapter "${description.name}"`;
  const fail = (where: string, why: string): never => {
    throw new AdapterError(description.name, where, `${label}: ${why}`);
  };
  const { depth: D, targets, rank: R, width: C } = model.lora;
  const P = targets.length;

  if (description.baseModel !== model.name) {
    fail('baseModel', `it was trained on "${description.baseModel}", but the loaded model is "${model.name}"; LoRA weights only fit the model they were trained on.`);
  }

  const file = parseSafetensors(input.weights, { source: input.source ?? `${description.name}.safetensors` });
  const rank = parseMetaNumber(file.metadata, 'rank', fail);
  const alpha = parseMetaNumber(file.metadata, 'alpha', fail);
  if (!Number.isInteger(rank) || rank < 1) fail('rank', `__metadata__.rank is ${rank}; it must be a positive integer.`);
  if (rank > R) fail('rank', `it has rank ${rank}, but this model's LoRA slots hold rank ${R} at most; retrain it with rank ≤ ${R}.`);
  if (!(alpha > 0)) fail('alpha', `__metadata__.alpha is ${alpha}; it must be a positive number.`);
  const metaBase = file.metadata['base_model'];
  if (metaBase !== undefined && metaBase !== description.baseModel) {
    fail('base_model', `its weights say base_model "${metaBase}" but its description says "${description.baseModel}"; the two files do not belong together.`);
  }

  // Pair up A and B per layer, rejecting anything that is not a layer this model has.
  const pairs = new Map<string, { d: number; p: number; A?: SafetensorsTensor; B?: SafetensorsTensor }>();
  for (const tensor of file.tensors.values()) {
    const m = LAYER_NAME.exec(tensor.name);
    const p = m ? targets.indexOf(m[2]!) : -1;
    if (!m || p < 0) {
      fail(tensor.name, `${tensor.name} is not a LoRA weight of this model; names are blocks.{0…${D - 1}}.{${targets.join('|')}}.lora_{A|B}.weight.`);
    }
    const d = Number(m![1]);
    if (d >= D) fail(tensor.name, `${tensor.name} is for block ${d}, but this model has ${D} blocks (0…${D - 1}).`);
    const layer = `blocks.${d}.${targets[p]}`;
    const pair = pairs.get(layer) ?? { d, p };
    pair[m![3] as 'A' | 'B'] = tensor;
    pairs.set(layer, pair);
  }
  if (pairs.size === 0) fail('weights', 'its .safetensors file holds no LoRA weights.');

  const down = new Float32Array(D * P * R * C);
  const up = new Float32Array(D * P * C * R);
  const scale = alpha / rank;
  const entries = [...pairs.entries()].sort((a, b) => a[1].d - b[1].d || a[1].p - b[1].p);
  for (const [layer, { d, p, A, B }] of entries) {
    if (!A || !B) fail(layer, `${layer} has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}; a LoRA layer needs both.`);
    checkShape(A!, 'A', rank, C, fail);
    checkShape(B!, 'B', rank, C, fail);
    const a = tensorToFloat32(A!);
    const b = tensorToFloat32(B!);
    const base = (d * P + p) * R * C; // same offset for [R,C] and [C,R] blocks
    // A [r,C] fills the first r rows of the slot's [R,C] block as is.
    for (let i = 0; i < rank * C; i++) {
      if (!Number.isFinite(a[i]!)) fail(A!.name, `${A!.name} holds a non-finite value (${a[i]}) at index ${i}; the file is corrupt.`);
      down[base + i] = a[i]!;
    }
    // B [C,r] becomes the first r columns of the slot's [C,R] block, times alpha/r.
    for (let row = 0; row < C; row++) {
      for (let k = 0; k < rank; k++) {
        const v = b[row * rank + k]!;
        if (!Number.isFinite(v)) fail(B!.name, `${B!.name} holds a non-finite value (${v}) at [${row},${k}]; the file is corrupt.`);
        up[base + row * R + k] = v * scale;
      }
    }
  }
  return { description, rank, alpha, layers: entries.map(([layer]) => layer), down, up };
}

function parseMetaNumber(meta: Record<string, string>, key: string, fail: (where: string, why: string) => never): number {
  const raw = meta[key];
  if (raw === undefined) fail(key, `its .safetensors __metadata__ has no "${key}"; Vidlet needs "rank" and "alpha" there to scale B by alpha/rank.`);
  const value = Number(raw);
  if (raw!.trim() === '' || !Number.isFinite(value)) fail(key, `__metadata__.${key} is ${JSON.stringify(raw)}, not a number.`);
  return value;
}

function checkShape(
  t: SafetensorsTensor,
  which: 'A' | 'B',
  rank: number,
  width: number,
  fail: (where: string, why: string) => never,
): void {
  const shown = `${t.name} has shape [${t.shape.join(',')}]`;
  const expected = which === 'A' ? `[${rank},${width}]` : `[${width},${rank}]`;
  if (t.shape.length !== 2) fail(t.name, `${shown}, but LoRA weights are 2-D (lora_A is [rank, width], lora_B is [width, rank]).`);
  // A is [r, C] (down: C → r), B is [C, r] (up: r → C), as PEFT stores nn.Linear weights.
  const [widthAxis, rankAxis] = which === 'A' ? [1, 0] : [0, 1];
  if (t.shape[widthAxis] !== width) fail(t.name, `${shown}, but this model's blocks are ${width} wide (expected ${expected}).`);
  if (t.shape[rankAxis] !== rank) fail(t.name, `${shown}, but the adapter's __metadata__ says rank ${rank} (expected ${expected}).`);
}
