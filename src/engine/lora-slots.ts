/**
 * The denoiser's LoRA inputs (docs/model-package.md, "LoRA slots"):
 *   lora_scales [B,S,D], lora_down [S,D,P,R,C], lora_up [S,D,P,C,R], and for each of `lora.groups`
 *   lora_down_k [S,D,P_k,R,in_k], lora_up_k [S,D,P_k,out_k,R].
 * All zero by default, which makes every slot an exact no-op. Adapters are written into a slot
 * (src/engine/adapters/adapter.ts lays one adapter out as [D,P,R,C] / [D,P,C,R]); per-step,
 * per-depth scales are set before each denoiser call, so changing strengths or blending stages
 * (DualReal) never rebuilds a session. Every guidance pass uses the same scale row.
 */
import { loraGroups, type LoraGroup } from '../package/lora';
import type { Manifest } from '../store/types';

/** The manifest's `lora` section: slot names, block depth, target projections, rank, width, groups. */
export type LoraLayout = Manifest['lora'];

/** What an adapter contributes to one slot (compatible with adapters/adapter.ts LoadedAdapter). */
export interface SlotWeights {
  down: Float32Array; // [D,P,R,C]
  up: Float32Array; // [D,P,C,R]
  /** The same for each of `lora.groups` ([D,P_k,R,in_k] / [D,P_k,out_k,R]); absent: those layers unchanged. */
  groups?: readonly { down: Float32Array; up: Float32Array }[];
}

/** Per-step scale row [S,D] (slot-major): a number for every block, or a function of the step. */
export type ScaleSource = Float32Array | ((ctx: { stepIndex: number; t: number; steps: number }) => Float32Array);

/** One group's inputs for a call: its roles and the arrays cut to the fed rank. */
export interface GroupFeed {
  role: { down: string; up: string };
  down: Float32Array;
  up: Float32Array;
  downDims: number[];
  upDims: number[];
}

/** One group's slot arrays: down [S,D,P,R,in], up [S,D,P,out,R]. */
class GroupSlots {
  readonly P: number;
  readonly down: Float32Array;
  readonly up: Float32Array;

  constructor(readonly group: LoraGroup, readonly S: number, readonly D: number, readonly R: number) {
    this.P = group.targets.length;
    this.down = new Float32Array(S * D * this.P * R * group.in);
    this.up = new Float32Array(S * D * this.P * group.out * R);
  }

  get slotDown(): number {
    return this.D * this.P * this.R * this.group.in;
  }

  get slotUp(): number {
    return this.D * this.P * this.group.out * this.R;
  }

  set(s: number, w: { down: Float32Array; up: Float32Array } | undefined, k: number): void {
    if (!w) return this.clear(s);
    if (w.down.length !== this.slotDown || w.up.length !== this.slotUp) {
      const dims = k === 0 ? `[D,P,R,C] = [${this.D},${this.P},${this.R},${this.group.in}]` : `[D,P,R,in] = [${this.D},${this.P},${this.R},${this.group.in}]`;
      throw new RangeError(`adapter arrays hold ${w.down.length}/${w.up.length} values, a slot${k === 0 ? '' : ` of lora.groups[${k - 1}]`} needs ${this.slotDown}${this.slotDown === this.slotUp ? '' : `/${this.slotUp}`} (${dims}).`);
    }
    this.down.set(w.down, s * this.slotDown);
    this.up.set(w.up, s * this.slotUp);
  }

  clear(s: number): void {
    this.down.fill(0, s * this.slotDown, (s + 1) * this.slotDown);
    this.up.fill(0, s * this.slotUp, (s + 1) * this.slotUp);
  }

  /** 1 + the last rank row (down) / column (up) holding a nonzero value, at least `from`. */
  usedRank(from: number): number {
    const { S, D, P, R } = this;
    const { in: I, out: O } = this.group;
    let used = from;
    for (let sdp = 0; sdp < S * D * P; sdp++) {
      for (let r = R - 1; r >= used; r--) {
        let nonzero = false;
        const row = (sdp * R + r) * I;
        for (let c = 0; c < I && !nonzero; c++) if (this.down[row + c] !== 0) nonzero = true;
        const col = sdp * O * R + r;
        for (let c = 0; c < O && !nonzero; c++) if (this.up[col + c * R] !== 0) nonzero = true;
        if (nonzero) {
          used = r + 1;
          break;
        }
      }
    }
    return used;
  }

  packed(r: number): GroupFeed {
    const { S, D, P, R } = this;
    const { in: I, out: O } = this.group;
    const role = { down: this.group.down, up: this.group.up };
    const downDims = [S, D, P, r, I];
    const upDims = [S, D, P, O, r];
    if (r === R) return { role, down: this.down, up: this.up, downDims, upDims };
    const down = new Float32Array(S * D * P * r * I);
    const up = new Float32Array(S * D * P * O * r);
    for (let sdp = 0; sdp < S * D * P; sdp++) {
      down.set(this.down.subarray(sdp * R * I, sdp * R * I + r * I), sdp * r * I);
      for (let c = 0; c < O; c++) {
        const from = sdp * O * R + c * R;
        up.set(this.up.subarray(from, from + r), sdp * O * r + c * r);
      }
    }
    return { role, down, up, downDims, upDims };
  }
}

export class LoraSlots {
  readonly S: number;
  readonly D: number;
  readonly P: number;
  readonly R: number;
  readonly C: number;
  /** The square group's [S,D,P,R,C] */
  readonly down: Float32Array;
  /** The square group's [S,D,P,C,R] */
  readonly up: Float32Array;
  /** Every group, the square one first. */
  private readonly groups: GroupSlots[];
  private scales: ScaleSource;

  constructor(readonly layout: LoraLayout) {
    this.S = layout.slots.length;
    this.D = layout.depth;
    this.P = layout.targets.length;
    this.R = layout.rank;
    this.C = layout.width;
    this.groups = loraGroups(layout).map((g) => new GroupSlots(g, this.S, this.D, this.R));
    this.down = this.groups[0]!.down;
    this.up = this.groups[0]!.up;
    this.scales = new Float32Array(this.S * this.D);
  }

  /** Values in one slot of lora_down (= of lora_up). */
  slotSize(): number {
    return this.D * this.P * this.R * this.C;
  }

  /** Index of a slot by name ('identity', 'motion') or number; throws RangeError if unknown. */
  slotIndex(slot: string | number): number {
    const i = typeof slot === 'number' ? slot : this.layout.slots.indexOf(slot);
    if (!Number.isInteger(i) || i < 0 || i >= this.S) {
      throw new RangeError(`LoRA slot ${JSON.stringify(slot)} does not exist; this model has ${this.layout.slots.join(', ') || 'no slots'}.`);
    }
    return i;
  }

  /** Writes an adapter's weights into a slot (copies them); a group it gives nothing for is zeroed. */
  setAdapter(slot: string | number, weights: SlotWeights): void {
    const s = this.slotIndex(slot);
    const extra = weights.groups ?? [];
    if (extra.length > this.groups.length - 1) {
      throw new RangeError(`adapter arrays cover ${1 + extra.length} groups of layers, this model's slots ${this.groups.length}.`);
    }
    this.groups.forEach((g, k) => g.set(s, k === 0 ? weights : extra[k - 1], k));
  }

  /** Zeroes a slot's weights (its scale no longer matters). */
  clearAdapter(slot: string | number): void {
    const s = this.slotIndex(slot);
    for (const g of this.groups) g.clear(s);
  }

  /** Constant scales [S,D], or a function giving the [S,D] row for each step (e.g. adapters' loraScalesForStep). */
  setScales(source: ScaleSource): void {
    if (source instanceof Float32Array && source.length !== this.S * this.D) {
      throw new RangeError(`lora scales hold ${source.length} values, expected S·D = ${this.S}·${this.D}.`);
    }
    this.scales = source;
  }

  /** Back to all-zero scales (adapters stay loaded but inactive). */
  resetScales(): void {
    this.scales = new Float32Array(this.S * this.D);
  }

  /** The [S,D] row for one step. */
  scaleRow(ctx: { stepIndex: number; t: number; steps: number }): Float32Array {
    const row = typeof this.scales === 'function' ? this.scales(ctx) : this.scales;
    if (row.length !== this.S * this.D) throw new RangeError(`lora scale row holds ${row.length} values, expected ${this.S * this.D}.`);
    return row;
  }

  /** lora_scales [B,S,D] for one call: the step's row repeated for every guidance pass. */
  scalesTensor(B: number, ctx: { stepIndex: number; t: number; steps: number }): Float32Array {
    const row = this.scaleRow(ctx);
    const out = new Float32Array(B * row.length);
    for (let b = 0; b < B; b++) out.set(row, b * row.length);
    return out;
  }

  /**
   * The highest rank any slot uses in any group: 1 + the last rank row (down) / column (up) holding
   * a nonzero value; 0 when every slot is empty. Adapters of rank r < R are zero-padded, so rows
   * ≥ usedRank contribute nothing and may be cut off.
   */
  usedRank(): number {
    return this.groups.reduce((used, g) => g.usedRank(used), 0);
  }

  /**
   * Every group's inputs cut to rank r ≤ R (for a denoiser exported with a symbolic rank axis): the
   * same products, r/R of the bytes per call. r = R gives the arrays themselves (no copy).
   */
  feeds(r: number): GroupFeed[] {
    if (!Number.isInteger(r) || r < 1 || r > this.R) throw new RangeError(`rank ${r} is outside 1…${this.R}`);
    return this.groups.map((g) => g.packed(r));
  }

  /** The square group's lora_down [S,D,P,r,C] and lora_up [S,D,P,C,r] cut to rank r (feeds' first). */
  packed(r: number): { down: Float32Array; up: Float32Array; downDims: number[]; upDims: number[] } {
    const { down, up, downDims, upDims } = this.feeds(r)[0]!;
    return { down, up, downDims, upDims };
  }

  get downDims(): number[] {
    return [this.S, this.D, this.P, this.R, this.C];
  }

  get upDims(): number[] {
    return [this.S, this.D, this.P, this.C, this.R];
  }
}
