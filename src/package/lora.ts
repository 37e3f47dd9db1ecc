/**
 * How a package's LoRA slots are named (docs/model-package.md, "LoRA slots"): `targets` are module
 * paths relative to one transformer block, `blocks` is where the blocks are (`blocks.{d}` in Wan and
 * vidlet-tiny, `transformer_blocks.{d}` in LTX-Video), and `aliases` are the other names trainers give
 * to a target (Wan's original `self_attn.q` for diffusers' `attn1.to_q`). The manifest parser checks
 * a section against these rules; the adapter loader (src/engine/adapters/layer-names.ts) builds the
 * tensor names it accepts from them.
 */

/** `lora.blocks` when the manifest leaves it out: Wan's and vidlet-tiny's block list. */
export const DEFAULT_LORA_BLOCKS = 'blocks';

/** Python identifiers joined by '.': a block list is an attribute path (`transformer_blocks`, `model.blocks`). */
const IDENTIFIER_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** A module path inside a block may have numbered parts (`attn1.to_out.0`, nn.ModuleList indices). */
const MODULE_PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

/**
 * One group of slot targets as the denoiser takes them: targets of one shape, `in` → `out`
 * features, fed as `down` [S,D,P,R,in] and `up` [S,D,P,out,R].
 */
export interface LoraGroup {
  targets: readonly string[];
  in: number;
  out: number;
  down: string;
  up: string;
}

interface GroupedLayout {
  targets: readonly string[];
  width: number;
  groups?: readonly { targets: readonly string[]; in: number; out: number }[];
}

/**
 * The groups of a layout: first `targets` (all `width` → `width`, the inputs `lora_down` /
 * `lora_up`), then each of `lora.groups` k = 1, 2, … (`lora_down_k` / `lora_up_k`).
 */
export function loraGroups(layout: GroupedLayout): LoraGroup[] {
  return [
    { targets: layout.targets, in: layout.width, out: layout.width, down: groupRole('down', 0), up: groupRole('up', 0) },
    ...(layout.groups ?? []).map((g, i) => ({ targets: g.targets, in: g.in, out: g.out, down: groupRole('down', i + 1), up: groupRole('up', i + 1) })),
  ];
}

/** Group k's down or up input: `lora_down` / `lora_up` for the square group, `lora_down_k` / `lora_up_k` after it. */
const groupRole = (half: 'down' | 'up', k: number): string => (k === 0 ? `lora_${half}` : `lora_${half}_${k}`);

/** The down and up input roles of the square group and `extra` further groups, in graph order. */
export function loraGroupRoles(extra: number): string[] {
  return Array.from({ length: 1 + extra }, (_, k) => [groupRole('down', k), groupRole('up', k)]).flat();
}

/** Every target of every group, in group order: a layer's index in this list is its target index. */
export function allTargets(layout: Pick<GroupedLayout, 'targets' | 'groups'>): string[] {
  return [...layout.targets, ...(layout.groups ?? []).flatMap((g) => g.targets)];
}

/** The name kohya-ss / musubi-tuner files use for a module path: every '.' becomes '_'. */
export const kohyaName = (path: string): string => path.replaceAll('.', '_');

export interface LoraNaming {
  /** Every group's targets (allTargets). */
  targets: readonly string[];
  blocks: string;
  aliases: Readonly<Record<string, string>>;
}

/**
 * What is wrong with a section's names, as [field, problem] pairs (empty: nothing). Besides the
 * shapes of the names: every alias names one of `targets` and is not itself a target, and no two
 * names that mean different targets share a kohya name (those files could not say which they mean).
 */
export function loraNamingProblems({ targets, blocks, aliases }: LoraNaming): [string, string][] {
  const problems: [string, string][] = [];
  if (!IDENTIFIER_PATH.test(blocks)) {
    problems.push(['lora.blocks', `is ${JSON.stringify(blocks)}, but must be a dotted identifier path such as "blocks" or "transformer_blocks"`]);
  }
  for (const [alias, target] of Object.entries(aliases)) {
    const field = `lora.aliases.${alias}`;
    if (!MODULE_PATH.test(alias)) problems.push([field, 'is not a dotted module path (letters, digits and "_" between dots)']);
    else if (targets.includes(alias)) problems.push([field, `names a target itself; an alias is another name for one of lora.targets`]);
    else if (!targets.includes(target)) problems.push([field, `is ${JSON.stringify(target)}, but must be one of lora.targets (${targets.join(', ')})`]);
  }
  const byKohya = new Map<string, [string, string]>();
  for (const [name, target] of [...targets.map((t): [string, string] => [t, t]), ...Object.entries(aliases)]) {
    const other = byKohya.get(kohyaName(name));
    if (other && other[1] !== target) {
      problems.push([`lora.aliases.${Object.hasOwn(aliases, name) ? name : other[0]}`,
        `has the kohya name ${kohyaName(name)} of both ${JSON.stringify(other[0])} (${other[1]}) and ${JSON.stringify(name)} (${target}), so such files could not say which they mean`]);
    }
    byKohya.set(kohyaName(name), [name, target]);
  }
  return problems;
}
