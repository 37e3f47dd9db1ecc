/** First-order flow-matching Euler (diffusers FlowMatchEulerDiscreteScheduler). */
import type { Scheduler, SchedulerCall } from './types';
import { eulerUpdate, flowSigmas, type SigmaSpacing } from './timesteps';

export class FlowMatchEuler implements Scheduler {
  readonly name = 'euler' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.sigmas = flowSigmas(steps, shift, spacing);
    this.calls = this.sigmas.slice(0, -1).map((t, i) => ({ t, tNext: this.sigmas[i + 1]!, stepIndex: i, endsStep: true }));
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    return eulerUpdate(x, v, t, tNext);
  }
}
