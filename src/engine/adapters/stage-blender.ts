/**
 * The StageBlender table exported by DualReal training (training/vidlet_train/adapters/): the
 * blender MLP evaluated on a grid of timesteps for each block group. At run time the engine
 * interpolates it over t: identity weight = α(t, group), motion weight = c − α(t, group).
 * Baking the MLP into a table keeps the engine free of a second network; the text input of the
 * MLP is fixed at export (docs/adapter-format.md says with which text).
 */
import { groupOfBlock, type BlockGroups } from './block-groups';
import { ScheduleError } from './errors';
import { checkKnots, interpolate } from './piecewise-linear';

export const BLENDER_FORMAT = 'vidlet-stage-blender';
export const BLENDER_FORMAT_VERSION = 1;

export interface StageBlenderTable {
  format: typeof BLENDER_FORMAT;
  formatVersion: number;
  baseModel: string;
  /** Names of the identity and motion adapters trained with this blender. */
  identity: string;
  motion: string;
  /** α + (motion weight) = c for every t and group. */
  c: number;
  depth: number;
  groups: BlockGroups;
  /** Denoiser timesteps t ∈ [0,1], strictly ascending (t = 1 is pure noise). */
  timesteps: number[];
  /** alpha[i][g] = α at timesteps[i] for group g. */
  alpha: number[][];
}

/** A validated table plus the lookups evaluation needs. */
export interface StageBlender {
  table: StageBlenderTable;
  /** Group of each block d. */
  groupOf: Int32Array;
  /** alphaByGroup[g][i] = alpha[i][g] (column-major, for interpolation over t). */
  alphaByGroup: Float64Array[];
}

/** Validates untrusted table JSON for a model of `depth` blocks named `baseModel`. */
export function parseStageBlender(json: unknown, model: { name: string; depth: number }): StageBlender {
  const fail = (field: string, why: string): never => {
    throw new ScheduleError(field, `StageBlender table: ${field} ${why} (see docs/adapter-format.md).`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('(root)', 'must be a JSON object');
  const o = json as Record<string, unknown>;
  if (o.format !== BLENDER_FORMAT) fail('format', `must be "${BLENDER_FORMAT}", but it is ${JSON.stringify(o.format)}`);
  if (o.formatVersion !== BLENDER_FORMAT_VERSION) fail('formatVersion', `is ${JSON.stringify(o.formatVersion)}; this Vidlet reads ${BLENDER_FORMAT_VERSION}`);
  if (o.baseModel !== model.name) {
    fail('baseModel', `is ${JSON.stringify(o.baseModel)}, but the loaded model is "${model.name}"; the table belongs to adapters of another model`);
  }
  for (const key of ['identity', 'motion'] as const) {
    if (typeof o[key] !== 'string' || o[key] === '') fail(key, 'must name the adapter trained with this blender');
  }
  if (typeof o.c !== 'number' || !Number.isFinite(o.c)) fail('c', `must be a finite number, but it is ${JSON.stringify(o.c)}`);
  if (o.depth !== model.depth) fail('depth', `is ${JSON.stringify(o.depth)}, but the loaded model has ${model.depth} blocks`);
  const groupOf = groupOfBlock(o.groups, model.depth, 'groups');
  const groups = o.groups as number[][];
  if (!Array.isArray(o.timesteps)) fail('timesteps', 'must be a list of numbers');
  const timesteps = o.timesteps as number[];
  checkKnots(timesteps, 0, 1, (i, why) => fail(i === null ? 'timesteps' : `timesteps[${i}]`, why));
  if (!Array.isArray(o.alpha) || o.alpha.length !== timesteps.length) {
    fail('alpha', `must have one row per timestep (${timesteps.length})`);
  }
  const alpha = o.alpha as unknown[];
  const alphaByGroup = groups.map(() => new Float64Array(timesteps.length));
  alpha.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== groups.length) fail(`alpha[${i}]`, `must have one value per group (${groups.length})`);
    (row as unknown[]).forEach((v, g) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`alpha[${i}][${g}]`, `is ${JSON.stringify(v)}, not a finite number`);
      alphaByGroup[g]![i] = v as number;
    });
  });
  const table: StageBlenderTable = {
    format: BLENDER_FORMAT,
    formatVersion: BLENDER_FORMAT_VERSION,
    baseModel: o.baseModel as string,
    identity: o.identity as string,
    motion: o.motion as string,
    c: o.c as number,
    depth: model.depth,
    groups: groups.map((g) => g.slice()),
    timesteps: timesteps.slice(),
    alpha: (alpha as number[][]).map((r) => r.slice()),
  };
  return { table, groupOf, alphaByGroup };
}

/** α at denoiser timestep t for block d (linear between table timesteps, held beyond the ends). */
export function blenderAlpha(blender: StageBlender, t: number, block: number): number {
  const g = blender.groupOf[block];
  if (g === undefined) throw new ScheduleError('block', `block ${block} is outside the table's ${blender.table.depth} blocks.`);
  return interpolate(blender.table.timesteps, blender.alphaByGroup[g]!, t);
}
