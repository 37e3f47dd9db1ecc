/**
 * The denoiser's LoRA inputs (docs/model-package.md, "LoRA slots"):
 *   lora_scales [B,S,D], lora_down [S,D,P,R,C], lora_up [S,D,P,C,R].
 * All zero by default, which makes every slot an exact no-op. Adapters are written into a slot
 * (src/engine/adapters/adapter.ts lays one adapter out as [D,P,R,C] / [D,P,C,R]); per-step,
 * per-depth scales are set before each denoiser call, so changing strengths or blending stages
 * (DualReal) never rebuilds a session. Every guidance pass uses the same scale row.
 */
import type { Manifest } from '../store/types';

/** The manifest's `lora` section: slot names, block depth, target projections, rank, width. */
export type LoraLayout = Manifest['lora'];

/** What an adapter contributes to one slot (compatible with adapters/adapter.ts LoadedAdapter). */
export interface SlotWeights {
  down: Float32Array; // [D,P,R,C]
  up: Float32Array; // [D,P,C,R]
}

/** Per-step scale row [S,D] (slot-major): a number for every block, or a function of the step. */
export type ScaleSource = Float32Array | ((ctx: { stepIndex: number; t: number; steps: number }) => Float32Array);

export class LoraSlots {
  readonly S: number;
  readonly D: number;
  readonly P: number;
  readonly R: number;
  readonly C: number;
  /** [S,D,P,R,C] */
  readonly down: Float32Array;
  /** [S,D,P,C,R] */
  readonly up: Float32Array;
  private scales: ScaleSource;

  constructor(readonly layout: LoraLayout) {
    this.S = layout.slots.length;
    this.D = layout.depth;
    this.P = layout.targets.length;
    this.R = layout.rank;
    this.C = layout.width;
    this.down = new Float32Array(this.S * this.slotSize());
    this.up = new Float32Array(this.S * this.slotSize());
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

  /** Writes an adapter's weights into a slot (copies them). */
  setAdapter(slot: string | number, weights: SlotWeights): void {
    const s = this.slotIndex(slot);
    const n = this.slotSize();
    if (weights.down.length !== n || weights.up.length !== n) {
      throw new RangeError(`adapter arrays hold ${weights.down.length}/${weights.up.length} values, a slot needs ${n} ([D,P,R,C] = [${this.D},${this.P},${this.R},${this.C}]).`);
    }
    this.down.set(weights.down, s * n);
    this.up.set(weights.up, s * n);
  }

  /** Zeroes a slot's weights (its scale no longer matters). */
  clearAdapter(slot: string | number): void {
    const s = this.slotIndex(slot);
    const n = this.slotSize();
    this.down.fill(0, s * n, (s + 1) * n);
    this.up.fill(0, s * n, (s + 1) * n);
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
   * The highest rank any slot uses: 1 + the last rank row (down) / column (up) holding a nonzero
   * value; 0 when every slot is empty. Adapters of rank r < R are zero-padded, so rows ≥ usedRank
   * contribute nothing and may be cut off.
   */
  usedRank(): number {
    const { S, D, P, R, C } = this;
    let used = 0;
    for (let sdp = 0; sdp < S * D * P; sdp++) {
      for (let r = R - 1; r >= used; r--) {
        let nonzero = false;
        const row = (sdp * R + r) * C;
        for (let c = 0; c < C && !nonzero; c++) if (this.down[row + c] !== 0) nonzero = true;
        const col = sdp * C * R + r;
        for (let c = 0; c < C && !nonzero; c++) if (this.up[col + c * R] !== 0) nonzero = true;
        if (nonzero) {
          used = r + 1;
          break;
        }
      }
    }
    return used;
  }

  /**
   * lora_down [S,D,P,r,C] and lora_up [S,D,P,C,r] cut to rank r ≤ R (for a denoiser exported with
   * a symbolic rank axis): the same products, r/R of the bytes per call. r = R returns the arrays
   * themselves (no copy).
   */
  packed(r: number): { down: Float32Array; up: Float32Array; downDims: number[]; upDims: number[] } {
    const { S, D, P, R, C } = this;
    if (!Number.isInteger(r) || r < 1 || r > R) throw new RangeError(`rank ${r} is outside 1…${R}`);
    if (r === R) return { down: this.down, up: this.up, downDims: this.downDims, upDims: this.upDims };
    const down = new Float32Array(S * D * P * r * C);
    const up = new Float32Array(S * D * P * C * r);
    for (let sdp = 0; sdp < S * D * P; sdp++) {
      down.set(this.down.subarray(sdp * R * C, sdp * R * C + r * C), sdp * r * C);
      for (let c = 0; c < C; c++) {
        const from = sdp * C * R + c * R;
        up.set(this.up.subarray(from, from + r), sdp * C * r + c * r);
      }
    }
    return { down, up, downDims: [S, D, P, r, C], upDims: [S, D, P, C, r] };
  }

  get downDims(): number[] {
    return [this.S, this.D, this.P, this.R, this.C];
  }

  get upDims(): number[] {
    return [this.S, this.D, this.P, this.C, this.R];
  }
}
