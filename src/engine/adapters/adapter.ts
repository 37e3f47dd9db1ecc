/**
 * An adapter = LoRA weights (.safetensors) + an optional JSON description. This file checks both
 * against the model's LoRA slots (manifest `lora`) and lays the weights out as one slot's rows of
 * the denoiser inputs `lora_down [S,D,P,R,C]` and `lora_up [S,D,P,C,R]`, and of each further
 * group's `lora_down_k` / `lora_up_k` (docs/model-package.md, "LoRA slots"; format in
 * docs/adapter-format.md).
 *
 * For block d, projection p: y = W·x + scale · up·(down·x) with down = A (r rows, zero-padded to R)
 * and up = (alpha/r)·B (r columns, zero-padded to R). Padding rows/columns are zero, so a rank-r
 * layer in a rank-R slot computes exactly (alpha/r)·B·A·x. Rank and alpha are per layer, as
 * diffusers applies files from other trainers; what the slots cannot hold refuses the whole file,
 * since applying part of an adapter is not applying the adapter.
 */
import type { LoraLayout } from '../lora-slots';
import { loraGroups, type LoraGroup } from '../../package/lora';
import { descriptionFromFile, parseAdapterDescription, type AdapterDescription } from './description';
import { AdapterError } from './errors';
import { describeOthers, LayerNames, type Halves, type TensorName } from './layer-names';
import { readPeftConfig } from './peft-config';
import { parseSafetensors, tensorToFloat32, type SafetensorsTensor } from './safetensors';


export interface LoadedAdapter {
  description: AdapterDescription;
  /**
   * True when the adapter came without a description JSON: its description was made from the
   * file name (descriptionFromFile), so nothing checked which model it was made for, only that its
   * layers and shapes fit this one.
   */
  noDescription?: true;
  /** The largest rank of its layers (each ≤ layout.rank). */
  rank: number;
  /** The alpha all its layers share; absent when they differ. */
  alpha?: number;
  /** Layers the adapter changes, e.g. 'blocks.0.attn.q', in block then target order. */
  layers: string[];
  /** One slot of lora_down: [D, P, R, C], row-major, A zero-padded to R rows. */
  down: Float32Array;
  /** One slot of lora_up: [D, P, C, R], row-major, (alpha/r)·B zero-padded to R columns. */
  up: Float32Array;
  /** The same for each of the model's `lora.groups`: [D, P_k, R, in_k] and [D, P_k, out_k, R]. */
  groups: { down: Float32Array; up: Float32Array }[];
}

export interface AdapterInput {
  /** The .safetensors bytes (not copied; the result does not keep them). */
  weights: Uint8Array;
  /** The description JSON, already parsed from text; undefined: the file came without one. */
  description?: unknown;
  /** The file name: names the adapter in errors until its description is read, and names it when there is none. */
  source?: string;
}

export interface TargetModel {
  /** manifest.name; an adapter trained on another model is refused. */
  name: string;
  lora: LoraLayout;
}

type Fail = (where: string, why: string) => never;
type Slot = Extract<TensorName, { kind: 'slot' }>;

/** One naming of one layer: its halves and alpha as the file has them. */
interface Named {
  stem: string;
  A?: SafetensorsTensor;
  B?: SafetensorsTensor;
  alpha?: SafetensorsTensor;
  halves?: Halves;
}

/** Validates an adapter against a model and returns its slot arrays; throws AdapterError. */
export function loadAdapter(input: AdapterInput, model: TargetModel): LoadedAdapter {
  const described = input.description !== undefined;
  const description = described
    ? parseAdapterDescription(input.description, input.source ?? 'adapter description')
    : descriptionFromFile(input.source ?? 'adapter.safetensors', model.name);
  const label = `Adapter "${description.name}"`;
  const fail: Fail = (where, why) => {
    throw new AdapterError(description.name, where, `${label}: ${why}`);
  };
  const { depth: D, rank: R } = model.lora;
  const groups = loraGroups(model.lora);
  // A target index (LayerNames: every group's targets in order) → its group and place in it.
  const where = groups.flatMap((g, k) => g.targets.map((_, p) => ({ k, p })));
  const P = where.length;

  if (description.baseModel !== model.name) {
    fail('baseModel', `it was trained on "${description.baseModel}", but the loaded model is "${model.name}"; LoRA weights only fit the model they were trained on.`);
  }

  const file = parseSafetensors(input.weights, { source: input.source ?? `${description.name}.safetensors` });
  const meta = readVidletMetadata(file.metadata, fail);
  const metaBase = file.metadata['base_model'];
  if (metaBase !== undefined && metaBase !== description.baseModel) {
    fail('base_model', described
      ? `its weights say base_model "${metaBase}" but its description says "${description.baseModel}"; the two files do not belong together.`
      : `its weights say base_model "${metaBase}", but the loaded model is "${model.name}"; LoRA weights only fit the model they were trained on.`);
  }
  const peft = readPeftConfig(file.metadata, fail);
  if (peft && meta.alpha !== undefined) {
    fail('alpha', '__metadata__ has both "alpha" and diffusers\' lora_adapter_metadata, two sources of alpha; Vidlet will not guess which one the trainer meant.');
  }

  // Sort every tensor into a slot layer or the rest, and refuse the file if there is any rest.
  const names = new LayerNames(model.lora);
  const layers = new Map<number, { d: number; p: number; named: Map<string, Named> }>();
  const others: Extract<TensorName, { kind: 'other' }>[] = [];
  let firstOther = '';
  for (const tensor of file.tensors.values()) {
    const t = names.classify(tensor.name);
    if (t.kind === 'other') {
      if (isZeroNormDiff(tensor, t.suffix)) continue;
      firstOther ||= tensor.name;
      others.push(t);
      continue;
    }
    if (t.block >= D) fail(tensor.name, `${tensor.name} is for block ${t.block}, but this model has ${D} blocks (0…${D - 1}).`);
    const key = t.block * P + t.target;
    const layer = layers.get(key) ?? { d: t.block, p: t.target, named: new Map<string, Named>() };
    layers.set(key, layer);
    addPart(layer.named, t, tensor, fail);
  }
  if (others.length > 0) {
    const { count, kinds } = describeOthers(others);
    fail(firstOther,
      `its file holds ${count} layer${count === 1 ? '' : 's'} this model's LoRA slots do not: ${kinds}; ` +
        `this package's slots hold ${names.targets.join(', ')} (in ${D === 1 ? 'block 0' : `blocks 0–${D - 1}`}), and applying the rest alone would change what the adapter does, ` +
        'so it is not loaded. Use a LoRA trained on those layers only.');
  }
  if (layers.size === 0) fail('weights', 'its .safetensors file holds no LoRA weights.');

  const arrays = groups.map((g) => ({ down: new Float32Array(D * g.targets.length * R * g.in), up: new Float32Array(D * g.targets.length * g.out * R) }));
  const entries = [...layers.values()].sort((a, b) => a.d - b.d || a.p - b.p);
  const ranks: number[] = [];
  const alphas: number[] = [];
  for (const { d, p: t, named } of entries) {
    const layer = names.layerName(d, t);
    const { k, p } = where[t]!;
    const group = groups[k]!;
    if (named.size > 1) {
      const [first, second] = [...named.keys()];
      fail(layer, `${layer} is given twice, as ${first} and as ${second}; a layer may be given once, under its name or one alias.`);
    }
    const { stem, A, B, alpha: alphaTensor, halves = 'lora_down/lora_up' } = [...named.values()][0]!;
    const [aName, bName] = halves.split('/') as [string, string];
    if (!A || !B) {
      fail(stem, A || B
        ? `${stem} has ${A ? aName : bName} but no ${A ? bName : aName}; a LoRA layer needs both.`
        : `${stem} has an alpha but no lora_down/lora_up weights; a LoRA layer needs both.`);
    }
    const r = checkA(A!, meta.rank, group, fail);
    if (r > R) fail(stem, `${stem} has rank ${r}, but this model's LoRA slots hold rank ${R} at most; retrain it with rank ≤ ${R}.`);
    checkB(B!, r, meta.rank !== undefined ? `the adapter's __metadata__ says rank ${r}` : `its ${aName} has rank ${r}`, group, fail);

    // alpha: the layer's own .alpha tensor, else Vidlet's __metadata__.alpha, else diffusers'
    // LoraConfig, else r (scale 1): what diffusers/PEFT do with a file that gives none.
    let alpha: number;
    let scale: number;
    if (alphaTensor) {
      if (peft) fail(alphaTensor.name, `${alphaTensor.name} and diffusers' lora_adapter_metadata both give an alpha; Vidlet will not guess which one the trainer meant.`);
      alpha = readAlpha(alphaTensor, fail);
      scale = alpha / r;
    } else if (meta.alpha !== undefined) {
      alpha = meta.alpha;
      scale = alpha / r;
    } else if (peft) {
      const configured = peft.rankFor(layer);
      if (configured !== r) fail(stem, `${stem} has rank ${r}, but its lora_adapter_metadata says rank ${configured} for ${layer}; the file contradicts itself (diffusers would not load it either).`);
      alpha = peft.alphaFor(layer);
      scale = peft.scale(layer, r);
    } else {
      alpha = r;
      scale = 1;
    }
    writeLayer(A!, B!, r, scale, d * group.targets.length + p, R, group, arrays[k]!, fail);
    ranks.push(r);
    alphas.push(alpha);
  }
  const alpha = alphas.every((a) => a === alphas[0]) ? alphas[0] : undefined;
  return {
    description,
    ...(described ? {} : { noDescription: true as const }),
    rank: Math.max(...ranks),
    ...(alpha !== undefined ? { alpha } : {}),
    layers: entries.map(({ d, p }) => names.layerName(d, p)),
    down: arrays[0]!.down,
    up: arrays[0]!.up,
    groups: arrays.slice(1),
  };
}

/** Files one tensor under its layer's naming; the same part twice under one naming is refused. */
function addPart(named: Map<string, Named>, t: Slot, tensor: SafetensorsTensor, fail: Fail): void {
  const entry = named.get(t.stem) ?? { stem: t.stem };
  named.set(t.stem, entry);
  if (t.halves !== undefined) {
    if (entry.halves !== undefined && entry.halves !== t.halves) {
      fail(tensor.name, `${t.stem} has both ${entry.halves} and ${t.halves} names; a layer's two halves are named one way.`);
    }
    entry.halves = t.halves;
  }
  // The same part with and without a prefix ('transformer.blocks.0…' and 'blocks.0…').
  const before = entry[t.role];
  if (before) fail(tensor.name, `${before.name} and ${tensor.name} are the same part of ${t.stem}; a layer may be given once.`);
  entry[t.role] = tensor;
}

/**
 * The original Wan checkpoints' LoRAs carry `norm….diff` / `.diff_b` keys that are all zero;
 * diffusers drops every norm diff (lora_conversion_utils.py, "norm layer diff keys are just zeroed
 * values"). Dropping a zero one loses nothing, so we do too; a non-zero one is a change the slots
 * cannot make and is refused with the other layers.
 */
function isZeroNormDiff(tensor: SafetensorsTensor, suffix: string): boolean {
  if ((suffix !== '.diff' && suffix !== '.diff_b') || !tensor.name.includes('norm')) return false;
  return tensorToFloat32(tensor).every((v) => v === 0);
}

/**
 * The features a group's layers take and give, for messages: "this model's blocks are 24 wide" for
 * the square group (every projection), "ffn.net.0.proj takes 24 features" for another.
 */
function features(group: LoraGroup, side: 'in' | 'out'): string {
  if (group.down === 'lora_down') return `this model's blocks are ${group.in} wide`;
  return `${group.targets.join(', ')} ${side === 'in' ? 'takes' : 'gives'} ${group[side]} features`;
}

/** A's shape [r, in]; returns r. `metaRank` (Vidlet's __metadata__.rank), when given, must equal r. */
function checkA(t: SafetensorsTensor, metaRank: number | undefined, group: LoraGroup, fail: Fail): number {
  const shown = `${t.name} has shape [${t.shape.join(',')}]`;
  if (t.shape.length !== 2) fail(t.name, `${shown}, but LoRA weights are 2-D (lora_A is [rank, in features], lora_B is [out features, rank]).`);
  const [r, w] = t.shape as [number, number];
  const expected = `[${metaRank ?? r},${group.in}]`;
  if (w !== group.in) fail(t.name, `${shown}, but ${features(group, 'in')} (expected ${expected}).`);
  if (metaRank !== undefined && r !== metaRank) fail(t.name, `${shown}, but the adapter's __metadata__ says rank ${metaRank} (expected ${expected}).`);
  if (r < 1) fail(t.name, `${shown}: a LoRA layer has rank 1 or more.`);
  return r;
}

/** B's shape [out, r]: `rankSays` is where r came from, for the message. */
function checkB(t: SafetensorsTensor, r: number, rankSays: string, group: LoraGroup, fail: Fail): void {
  const shown = `${t.name} has shape [${t.shape.join(',')}]`;
  const expected = `[${group.out},${r}]`;
  if (t.shape.length !== 2) fail(t.name, `${shown}, but LoRA weights are 2-D (lora_A is [rank, in features], lora_B is [out features, rank]).`);
  if (t.shape[0] !== group.out) fail(t.name, `${shown}, but ${features(group, 'out')} (expected ${expected}).`);
  if (t.shape[1] !== r) fail(t.name, `${shown}, but ${rankSays} (expected ${expected}).`);
}

/** A layer's `.alpha`: one finite number, shape [] (kohya, ComfyUI) or [1]. */
function readAlpha(t: SafetensorsTensor, fail: Fail): number {
  if (!(t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1))) {
    fail(t.name, `${t.name} has shape [${t.shape.join(',')}]; an alpha is one number (shape [] or [1]).`);
  }
  const v = tensorToFloat32(t)[0]!;
  if (!Number.isFinite(v)) fail(t.name, `${t.name} is ${v}; an alpha must be a finite number (the file is corrupt).`);
  return v;
}

/**
 * A [r,in] into rows 0…r−1 of layer `at`'s [R,in] block of the group's down; scale·B [out,r] into
 * columns 0…r−1 of its [out,R] block of up. `at` = d·P + p within the group.
 */
function writeLayer(
  A: SafetensorsTensor, B: SafetensorsTensor, r: number, scale: number, at: number, R: number, group: LoraGroup,
  into: { down: Float32Array; up: Float32Array }, fail: Fail,
): void {
  const a = tensorToFloat32(A);
  const b = tensorToFloat32(B);
  const { in: I, out: O } = group;
  const downAt = at * R * I;
  const upAt = at * O * R;
  for (let i = 0; i < r * I; i++) {
    if (!Number.isFinite(a[i]!)) fail(A.name, `${A.name} holds a non-finite value (${a[i]}) at index ${i}; the file is corrupt.`);
    into.down[downAt + i] = a[i]!;
  }
  for (let row = 0; row < O; row++) {
    for (let k = 0; k < r; k++) {
      const v = b[row * r + k]!;
      if (!Number.isFinite(v)) fail(B.name, `${B.name} holds a non-finite value (${v}) at [${row},${k}]; the file is corrupt.`);
      into.up[upAt + row * R + k] = v * scale;
    }
  }
}

/**
 * Vidlet's own `__metadata__` keys (docs/adapter-format.md): `rank`, when present, is every
 * layer's rank; `alpha`, when present, the alpha of every layer without an `.alpha` tensor.
 */
function readVidletMetadata(meta: Record<string, string>, fail: Fail): { rank?: number; alpha?: number } {
  const number = (key: string): number | undefined => {
    const raw = meta[key];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) fail(key, `__metadata__.${key} is ${JSON.stringify(raw)}, not a number.`);
    return value;
  };
  const rank = number('rank');
  const alpha = number('alpha');
  if (rank !== undefined && (!Number.isInteger(rank) || rank < 1)) fail('rank', `__metadata__.rank is ${rank}; it must be a positive integer.`);
  if (alpha !== undefined && !(alpha > 0)) fail('alpha', `__metadata__.alpha is ${alpha}; it must be a positive number.`);
  return { ...(rank !== undefined ? { rank } : {}), ...(alpha !== undefined ? { alpha } : {}) };
}
