/**
 * Block groups: a partition of the denoiser's D transformer blocks into a few groups (shallow,
 * middle, deep …) that share one schedule weight. DualReal's StageBlender outputs one α per
 * group; hand-set curves take one multiplier per group.
 */
import { ScheduleError } from './errors';

/** `groups[g]` lists the block indices of group g; together they hold each of 0…D−1 once. */
export type BlockGroups = number[][];

/** G contiguous groups of nearly equal size (the first D mod G groups get one extra block). */
export function evenBlockGroups(depth: number, count: number): BlockGroups {
  if (!Number.isInteger(depth) || depth < 1) throw new ScheduleError('depth', `depth ${depth} must be a positive integer.`);
  if (!Number.isInteger(count) || count < 1 || count > depth) {
    throw new ScheduleError('groups', `cannot split ${depth} blocks into ${count} groups: the count must be 1…${depth}.`);
  }
  const groups: BlockGroups = [];
  let next = 0;
  for (let g = 0; g < count; g++) {
    const size = Math.floor(depth / count) + (g < depth % count ? 1 : 0);
    groups.push(Array.from({ length: size }, (_, i) => next + i));
    next += size;
  }
  return groups;
}

/**
 * Checks that `groups` partitions 0…depth−1 and returns, for each block, its group index.
 * `field` names the groups in errors (e.g. 'blender.groups').
 */
export function groupOfBlock(groups: unknown, depth: number, field: string): Int32Array {
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new ScheduleError(field, `${field} must be a non-empty list of lists of block indices.`);
  }
  const owner = new Int32Array(depth).fill(-1);
  groups.forEach((group, g) => {
    if (!Array.isArray(group) || group.length === 0) {
      throw new ScheduleError(`${field}[${g}]`, `${field}[${g}] must be a non-empty list of block indices.`);
    }
    for (const d of group) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d >= depth) {
        throw new ScheduleError(`${field}[${g}]`, `${field}[${g}] holds ${JSON.stringify(d)}, but this model's blocks are 0…${depth - 1}.`);
      }
      if (owner[d] !== -1) {
        throw new ScheduleError(`${field}[${g}]`, `block ${d} is in both ${field}[${owner[d]}] and ${field}[${g}]; each block belongs to one group.`);
      }
      owner[d] = g;
    }
  });
  const missing = [...owner].map((g, d) => (g === -1 ? d : -1)).filter((d) => d >= 0);
  if (missing.length > 0) {
    throw new ScheduleError(field, `${field} leaves block(s) ${missing.join(', ')} in no group; every block 0…${depth - 1} needs one.`);
  }
  return owner;
}
