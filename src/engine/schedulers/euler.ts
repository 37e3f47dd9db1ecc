/** First-order flow-matching Euler (diffusers FlowMatchEulerDiscreteScheduler). */
import type { Scheduler, SchedulerCall } from './types';
import { checkGrid, eulerUpdate, flowSigmas, oneCallPerStep, type SigmaSpacing } from './timesteps';

export class FlowMatchEuler implements Scheduler {
  readonly name = 'euler' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.setSigmas(flowSigmas(steps, shift, spacing));
  }

  setSigmas(sigmas: readonly number[]): void {
    checkGrid(sigmas);
    this.sigmas = [...sigmas];
    this.calls = oneCallPerStep(sigmas);
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    return eulerUpdate(x, v, t, tNext);
  }
}
