/**
 * Which layer of the LoRA slots a tensor name in an adapter file means, across the names trainers
 * write (docs/adapter-format.md, "Tensor names"):
 *
 *   PEFT / diffusers          {B}.{d}.{n}.lora_A.weight, .lora_B.weight
 *   ComfyUI / original        {B}.{d}.{n}.lora_down.weight, .lora_up.weight, .alpha
 *   kohya / musubi-tuner      lora_unet_{B'}_{d}_{n'}.lora_down.weight, .lora_up.weight, .alpha
 *
 * with B = lora.blocks, n a target or an alias, and B', n' the same with every '.' made '_'. The
 * first two may carry one of the prefixes below. A kohya name cannot be split on '_' (`to_out_0`
 * holds three), so the loader never splits it: it builds every n' from the manifest and looks the
 * rest of the name up among them.
 *
 * Everything else is an "other" tensor with a short label (`ffn.0`, `norm3.diff`,
 * `text_embedding.0`) so the loader can say in one sentence what the slots do not hold.
 */
import type { LoraLayout } from '../lora-slots';
import { allTargets, DEFAULT_LORA_BLOCKS, kohyaName } from '../../package/lora';

/**
 * At most one is stripped. `base_model.model.` is PEFT's save_pretrained, `transformer.` diffusers'
 * save_lora_weights, `diffusion_model.` / `model.diffusion_model.` the original Wan / LTX-Video and
 * ComfyUI checkpoints.
 */
export const NAME_PREFIXES = ['base_model.model.', 'model.diffusion_model.', 'diffusion_model.', 'transformer.'] as const;
const KOHYA_PREFIX = 'lora_unet_';

export type Role = 'A' | 'B' | 'alpha';
/** How the file names a layer's two halves. */
export type Halves = 'lora_A/lora_B' | 'lora_down/lora_up';

/** The LoRA parts a slot takes, by suffix. `.alpha` belongs to no naming of the halves. */
const SLOT_SUFFIXES: readonly [string, Role, Halves | undefined][] = [
  ['.lora_A.weight', 'A', 'lora_A/lora_B'],
  ['.lora_B.weight', 'B', 'lora_A/lora_B'],
  ['.lora_down.weight', 'A', 'lora_down/lora_up'],
  ['.lora_up.weight', 'B', 'lora_down/lora_up'],
  ['.alpha', 'alpha', undefined],
];
/**
 * Parts a slot cannot take, recognised only to name them well: biases (diffusers' lora_bias, the
 * original checkpoints' `diff_b`), whole-weight differences (`diff`), DoRA magnitudes, LyCORIS.
 * Longest first, so `.lora_B.bias` is not read as `.bias`.
 */
const OTHER_SUFFIXES = [
  '.lora_magnitude_vector.weight', '.lora_magnitude_vector', '.lora_mid.weight', '.dora_scale',
  '.lora_A.bias', '.lora_B.bias', '.lora_down.bias', '.lora_up.bias', '.diff_b', '.diff',
  '.hada_w1_a', '.hada_w1_b', '.hada_w2_a', '.hada_w2_b', '.lokr_w1', '.lokr_w2',
];

export type TensorName =
  | {
      kind: 'slot';
      block: number;
      /** Index into every group's targets in order (src/package/lora.ts allTargets). */
      target: number;
      role: Role;
      /** undefined for `.alpha`. */
      halves?: Halves;
      /**
       * The name without its prefix and role suffix (`blocks.0.self_attn.q`, `lora_unet_blocks_0_self_attn_q`):
       * one naming of the layer, in messages. A prefix does not make another naming (PEFT files mix them).
       */
      stem: string;
    }
  | {
      kind: 'other';
      /** What kind of layer or part, without the block: `ffn.0`, `norm3.diff`, `ffn_2` (kohya), `text_embedding.0`. */
      label: string;
      block?: number;
      /** The suffix it was recognised by ('' when none), e.g. '.diff'. */
      suffix: string;
    };

const BLOCK_INDEX = /^(0|[1-9][0-9]*)([._])(.+)$/;

export class LayerNames {
  readonly blocks: string;
  readonly targets: readonly string[];
  /** Target or alias → target index. */
  private readonly dotted = new Map<string, number>();
  /** kohya form of a target or alias → target index (the manifest parser refuses a form that means two targets: src/package/lora.ts). */
  private readonly kohya = new Map<string, number>();

  constructor(layout: Pick<LoraLayout, 'targets' | 'groups' | 'blocks' | 'aliases'>) {
    this.blocks = layout.blocks ?? DEFAULT_LORA_BLOCKS;
    this.targets = allTargets(layout);
    this.targets.forEach((t, i) => this.dotted.set(t, i));
    for (const [alias, target] of Object.entries(layout.aliases ?? {})) {
      const i = this.targets.indexOf(target);
      if (i >= 0 && !this.dotted.has(alias)) this.dotted.set(alias, i);
    }
    for (const [name, i] of this.dotted) this.kohya.set(kohyaName(name), i);
  }

  /** The module path of a slot layer in the model (diffusers' name when the targets are diffusers'). */
  layerName(block: number, target: number): string {
    return `${this.blocks}.${block}.${this.targets[target]}`;
  }

  classify(name: string): TensorName {
    if (name.startsWith(KOHYA_PREFIX)) return this.#classify(name, KOHYA_PREFIX, `${kohyaName(this.blocks)}_`, this.kohya);
    // A block list may itself begin like a prefix (`transformer.blocks`): then nothing is stripped.
    const prefix = name.startsWith(`${this.blocks}.`) ? '' : (NAME_PREFIXES.find((p) => name.startsWith(p)) ?? '');
    return this.#classify(name, prefix, `${this.blocks}.`, this.dotted);
  }

  /** `blockList` is `{B}.` or `{B'}_` after `prefix`; `names` the layer names of that style. */
  #classify(name: string, prefix: string, blockList: string, names: Map<string, number>): TensorName {
    const rest = name.slice(prefix.length);
    const slot = SLOT_SUFFIXES.find(([s]) => rest.endsWith(s));
    const suffix = slot?.[0] ?? OTHER_SUFFIXES.find((s) => rest.endsWith(s)) ?? '';
    const module = rest.slice(0, rest.length - suffix.length);
    // A separator other than the style's own ('blocks_0.x' in a dotted name) is no block index.
    const separator = blockList.at(-1)!;
    const m = module.startsWith(blockList) ? BLOCK_INDEX.exec(module.slice(blockList.length)) : null;
    if (m && m[2] === separator) {
      const block = Number(m[1]);
      const inner = m[3]!;
      const target = names.get(inner);
      if (slot && target !== undefined) {
        // kohya's prefix is part of its naming; the others are not.
        const stem = prefix === KOHYA_PREFIX ? `${prefix}${module}` : module;
        return { kind: 'slot', block, target, role: slot[1], halves: slot[2], stem };
      }
      return { kind: 'other', label: otherLabel(inner, suffix, slot !== undefined), block, suffix };
    }
    return { kind: 'other', label: module === '' ? name : otherLabel(module, suffix, slot !== undefined), suffix };
  }
}

/** A LoRA part of another layer is labelled by the layer; any other part also by the part (`norm3.diff`). */
function otherLabel(module: string, suffix: string, isLoraPart: boolean): string {
  return isLoraPart || suffix === '' ? module : `${module}${suffix}`;
}

/**
 * One sentence naming what a file holds that the slots do not, counted by layer and grouped by
 * kind: "60 layers this model's LoRA slots do not: ffn.0, ffn.2 (in blocks 0–29)".
 */
export function describeOthers(others: readonly Extract<TensorName, { kind: 'other' }>[]): { count: number; kinds: string } {
  const blocksOf = new Map<string, Set<number>>();
  const layers = new Set<string>();
  for (const o of others) {
    const set = blocksOf.get(o.label) ?? new Set<number>();
    if (o.block !== undefined) set.add(o.block);
    blocksOf.set(o.label, set);
    layers.add(`${o.block ?? ''}/${o.label}`);
  }
  const collator = new Intl.Collator('en', { numeric: true });
  const labels = [...blocksOf.keys()].sort(collator.compare);
  const MAX_KINDS = 12; // beyond this a list stops helping; the count still says how many
  // Kinds that occur in the same blocks share one "(in blocks …)", in the order of their first label.
  const groups = new Map<string, string[]>();
  for (const label of labels.slice(0, MAX_KINDS)) {
    const where = blockRanges([...blocksOf.get(label)!]);
    groups.set(where, [...(groups.get(where) ?? []), label]);
  }
  const parts = [...groups].map(([where, names]) => (where ? `${names.join(', ')} (in ${where})` : names.join(', ')));
  if (labels.length > MAX_KINDS) parts.push(`and ${labels.length - MAX_KINDS} more kinds`);
  return { count: layers.size, kinds: parts.join(', ') };
}

/** [0,1,2,3,7] → "blocks 0–3, 7"; [5] → "block 5"; [] → "". */
export function blockRanges(blocks: number[]): string {
  if (blocks.length === 0) return '';
  const sorted = [...new Set(blocks)].sort((a, b) => a - b);
  const runs: string[] = [];
  let start = sorted[0]!;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]! + 1) continue;
    const end = sorted[i - 1]!;
    runs.push(end === start ? `${start}` : `${start}–${end}`);
    start = sorted[i]!;
  }
  return `${sorted.length === 1 ? 'block' : 'blocks'} ${runs.join(', ')}`;
}
