/**
 * UniPC multistep (Zhao et al. 2023) for flow matching, as diffusers' UniPCMultistepScheduler runs it
 * with Wan 2.1's published config: prediction_type "flow_prediction", predict_x0, solver_order 2,
 * solver_type "bh2", lower_order_final, final_sigmas_type "zero", no disabled corrector. Why it is
 * here: Euler over the same levels is a different sampler (first order, worse at few steps), so a
 * converted Wan package sampled with Euler is not what the publisher's pipeline samples
 * (convert/README.md, "What real models need from the contract", item 4).
 *
 * The maths, in the exponential-integrator form UniPC is written in. With α = 1 − σ (the flow
 * x_σ = α·x₀ + σ·ε), λ = log α − log σ, and the model's clean estimate m = x − σ·v:
 *   predictor UniP, from σₛ to σₜ (h = λₜ − λₛ, φ = e^{−h} − 1, which bh2 also uses as B(h)):
 *     x ← (σₜ/σₛ)·x − αₜ·φ·mₛ − αₜ·φ·½·D,  D = (m_{s−1} − mₛ)/r,  r = (λ_{s−1} − λₛ)/h
 *     (the D term only at order 2: the previous estimate corrects the slope, like Adams–Bashforth);
 *   corrector UniC, once the model has been evaluated at the predicted x (no extra call): the same
 *     step from σₛ redone with the new estimate mₜ as one more point,
 *     x ← (σₜ/σₛ)·x_s − αₜ·φ·mₛ − αₜ·φ·(ρ₁·D + ρₜ·(mₜ − mₛ)), ρ from a 2×2 system at order 2,
 *     ρₜ = ½ at order 1.
 * Order: 1 for the first step (no history yet) and for the last (lower_order_final: at σ = 0,
 * λ = ∞ and the step lands exactly on the clean estimate), 2 between; each corrector uses the order
 * of the predictor it corrects. One model call per step, like Euler, so n steps cost n calls.
 *
 * Two details reproduce diffusers exactly rather than approximately:
 *  - the solver's levels are float32 (diffusers keeps its sigmas in float32), and a first level of 1
 *    is lowered by 1e-6 (α = 0 would make λ infinite). Near σ = 1, α ≈ 1e-6, so the float32 rounding
 *    moves λ by 1 % and with it the second step's weights: the same rounding is done here;
 *  - the model is fed ⌊1000·σ⌋/1000, not σ: diffusers' UniPC keeps int64 timesteps (1,000 training
 *    steps) and the pipeline passes those to the transformer, while the solver uses σ itself. The first
 *    call is therefore at 0.999. `calls[i].t` is that model time; `tNext` is the next level itself.
 * Checked step by step against diffusers 0.42.1 (tests/fixtures/unipc, tests/unit/engine/unipc.test.ts).
 */
import type { Scheduler, SchedulerCall } from './types';
import { checkGrid, flowSigmas, type SigmaSpacing } from './timesteps';

/** diffusers' UniPC timesteps are integers in [0, 1000): the model sees time in these units. */
const TRAIN_STEPS = 1000;
/** diffusers lowers a first level within this of 1 by this much (set_timesteps, use_flow_sigmas). */
const FIRST_LEVEL_EPS = 1e-6;

export class FlowMatchUniPC implements Scheduler {
  readonly name = 'unipc' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];
  /** The solver's levels: float32, the first lowered off 1; ends at 0. */
  private levels: number[] = [];
  /** λ = log(1 − σ) − log σ per level (+∞ at σ = 0). */
  private lambdas: number[] = [];
  /** The step the next `step` call makes. */
  private index = 0;
  /** Clean estimates of the last two steps, oldest first. */
  private history: Float32Array[] = [];
  /** The sample the last predictor started from (the corrector redoes that step), and its order. */
  private last: { x: Float32Array; order: number } | null = null;

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.setSigmas(flowSigmas(steps, shift, spacing));
  }

  setSigmas(sigmas: readonly number[]): void {
    checkGrid(sigmas);
    this.sigmas = [...sigmas];
    const first = Math.abs(sigmas[0]! - 1) < FIRST_LEVEL_EPS ? sigmas[0]! - FIRST_LEVEL_EPS : sigmas[0]!;
    const exact = [first, ...sigmas.slice(1)];
    this.levels = exact.map((s) => Math.fround(s));
    this.lambdas = this.levels.map((s) => Math.log(1 - s) - Math.log(s));
    const n = sigmas.length - 1;
    // diffusers truncates the float64 levels (after the lowering, before float32) to integer timesteps.
    this.calls = exact.slice(0, n).map((s, i) => ({
      t: Math.trunc(s * TRAIN_STEPS) / TRAIN_STEPS, tNext: sigmas[i + 1]!, stepIndex: i, endsStep: true,
    }));
    this.index = 0;
    this.history = [];
    this.last = null;
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    const i = this.index;
    const call = this.calls[i];
    if (call === undefined) throw new RangeError(`UniPC has made all ${this.calls.length} steps; call setSigmas to start again`);
    if (t !== call.t || tNext !== call.tNext) {
      throw new RangeError(`UniPC step ${i} expected t = ${call.t} → ${call.tNext}, got ${t} → ${tNext}: it keeps its own history, so calls must come in order`);
    }
    if (x.length !== v.length) throw new RangeError(`sample has ${x.length} values but the velocity has ${v.length}`);
    const n = this.calls.length;
    const s = this.levels[i]!;
    // The clean estimate from the sample the model saw (the predictor's output, before correcting it).
    const m = new Float32Array(x.length);
    for (let k = 0; k < m.length; k++) m[k] = x[k]! - s * v[k]!;

    let sample = x;
    if (this.last) sample = this.correct(i, this.last.x, m, this.last.order);
    this.history.push(m);
    if (this.history.length > 2) this.history.shift();
    // Order 2 needs one earlier estimate (warm-up) and a next level above 0 (lower_order_final).
    const order = Math.min(2, n - i, i + 1);
    this.last = { x: sample, order };
    this.index++;
    return this.predict(i, sample, order);
  }

  /** (φ, αₜ, σₜ/σₛ, h) for the step from level s to level t. */
  private coefficients(s: number, t: number): { phi: number; alphaT: number; ratio: number; h: number } {
    const sigmaT = this.levels[t]!;
    const h = this.lambdas[t]! - this.lambdas[s]!;
    // At σₜ = 0: h = ∞, φ = −1, σₜ/σₛ = 0, so the step lands on the clean estimate.
    return { phi: Math.expm1(-h), alphaT: 1 - sigmaT, ratio: sigmaT / this.levels[s]!, h };
  }

  /** UniP from level i to i + 1: x is the (corrected) sample at level i, history ends with its estimate. */
  private predict(i: number, x: Float32Array, order: number): Float32Array {
    const { phi, alphaT, ratio, h } = this.coefficients(i, i + 1);
    const m0 = this.history[this.history.length - 1]!;
    const out = new Float32Array(x.length);
    if (order === 1) {
      for (let k = 0; k < out.length; k++) out[k] = ratio * x[k]! - alphaT * phi * m0[k]!;
      return out;
    }
    // Order 2: bh2's ρ for one earlier point is ½ (diffusers' "simplified version" for order 2).
    const m1 = this.history[this.history.length - 2]!;
    const r = (this.lambdas[i - 1]! - this.lambdas[i]!) / h;
    const w = (alphaT * phi * 0.5) / r;
    for (let k = 0; k < out.length; k++) out[k] = ratio * x[k]! - alphaT * phi * m0[k]! - w * (m1[k]! - m0[k]!);
    return out;
  }

  /**
   * UniC at level i: redoes the step from level i − 1 (sample `xs`, whose estimate is the newest in
   * history) with the estimate `mt` the model gave at the predicted sample. `order` is that predictor's.
   */
  private correct(i: number, xs: Float32Array, mt: Float32Array, order: number): Float32Array {
    const { phi, alphaT, ratio, h } = this.coefficients(i - 1, i);
    const m0 = this.history[this.history.length - 1]!;
    const out = new Float32Array(xs.length);
    if (order === 1) {
      const c = alphaT * phi * 0.5;
      for (let k = 0; k < out.length; k++) out[k] = ratio * xs[k]! - alphaT * phi * m0[k]! - c * (mt[k]! - m0[k]!);
      return out;
    }
    // Order 2: the points are the estimate before (at r, in units of h) and the new one (at 1); ρ solves
    // [1 1; r 1]·ρ = b with b the bh2 weights b₁ = (φ/hh − 1)/B, b₂ = 2·((φ/hh − 1)/hh − ½)/B, hh = −h, B = φ.
    const m1 = this.history[this.history.length - 2]!;
    const r = (this.lambdas[i - 2]! - this.lambdas[i - 1]!) / h;
    const hh = -h;
    const k1 = phi / hh - 1;
    const b1 = k1 / phi;
    const b2 = (2 * (k1 / hh - 0.5)) / phi;
    const rho1 = (b1 - b2) / (1 - r);
    const rhoT = b1 - rho1;
    const c1 = (alphaT * phi * rho1) / r;
    const cT = alphaT * phi * rhoT;
    for (let k = 0; k < out.length; k++) {
      out[k] = ratio * xs[k]! - alphaT * phi * m0[k]! - c1 * (m1[k]! - m0[k]!) - cT * (mt[k]! - m0[k]!);
    }
    return out;
  }
}
