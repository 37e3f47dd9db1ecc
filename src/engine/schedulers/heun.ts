/**
 * Second-order Heun for flow matching (as diffusers FlowMatchHeunDiscreteScheduler): each step
 * predicts with Euler to tNext, evaluates the model there, and averages the two velocities:
 * x_{k+1} = x_k + (t_{k+1} − t_k)·(v(x_k, t_k) + v(x̂, t_{k+1}))/2. The final step to t = 0 stays
 * first order (as diffusers does), so n steps cost 2n − 1 model calls.
 */
import type { Scheduler, SchedulerCall } from './types';
import { checkGrid, eulerUpdate, flowSigmas, type SigmaSpacing } from './timesteps';

export class FlowMatchHeun implements Scheduler {
  readonly name = 'heun' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];
  /** Predictor state between the two calls of a step. */
  private pending: { x: Float32Array; v: Float32Array; t: number; tNext: number } | null = null;

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.setSigmas(flowSigmas(steps, shift, spacing));
  }

  setSigmas(sigmas: readonly number[]): void {
    checkGrid(sigmas);
    this.sigmas = [...sigmas];
    const steps = sigmas.length - 1;
    this.pending = null;
    const calls: SchedulerCall[] = [];
    for (let i = 0; i < steps; i++) {
      const t = this.sigmas[i]!;
      const tNext = this.sigmas[i + 1]!;
      if (tNext === 0) {
        calls.push({ t, tNext, stepIndex: i, endsStep: true });
      } else {
        calls.push({ t, tNext, stepIndex: i, endsStep: false });
        calls.push({ t: tNext, tNext, stepIndex: i, endsStep: true });
      }
    }
    this.calls = calls;
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    if (this.pending === null) {
      if (tNext === 0) return eulerUpdate(x, v, t, tNext);
      this.pending = { x, v, t, tNext };
      return eulerUpdate(x, v, t, tNext); // predictor x̂ at tNext
    }
    // Corrector: v was evaluated at (x̂, tNext of the predictor).
    const p = this.pending;
    this.pending = null;
    if (t !== p.tNext) throw new RangeError(`Heun corrector expected t = ${p.tNext}, got ${t}`);
    const dt = p.tNext - p.t;
    const out = new Float32Array(x.length);
    for (let i = 0; i < out.length; i++) out[i] = p.x[i]! + dt * 0.5 * (p.v[i]! + v[i]!);
    return out;
  }
}
