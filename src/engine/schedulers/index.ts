/**
 * Scheduler registry: adding a sampler means adding a file, a case here and its name in
 * src/package/request.ts (SAMPLER_NAMES, which every layer checks requests against).
 */
import { SAMPLER_NAMES, type SamplerName } from '../../package/request';
import { InvalidRequestError } from '../errors';
import { FlowMatchEuler } from './euler';
import { FlowMatchEulerAncestral } from './euler-ancestral';
import { FlowMatchHeun } from './heun';
import type { Scheduler } from './types';
import { FlowMatchUniPC } from './unipc';
import { FlowMatchX0Renoise } from './x0-renoise';

export type { Scheduler, SchedulerCall } from './types';
export { FlowMatchEuler, FlowMatchHeun, FlowMatchEulerAncestral, FlowMatchX0Renoise, FlowMatchUniPC };
export { flowSigmas, samplingSigmas, shiftTimestep, type ScheduleGrid, type SigmaSpacing } from './timesteps';

/** A fresh scheduler; `seed` drives the re-noising of Euler-ancestral and x0-renoise. */
export function createScheduler(name: SamplerName, seed: number): Scheduler {
  switch (name) {
    case 'euler':
      return new FlowMatchEuler();
    case 'heun':
      return new FlowMatchHeun();
    case 'euler-ancestral':
      return new FlowMatchEulerAncestral(seed);
    case 'x0-renoise':
      return new FlowMatchX0Renoise(seed);
    case 'unipc':
      return new FlowMatchUniPC();
    default:
      throw new InvalidRequestError(`Unknown sampler "${String(name)}": use one of ${SAMPLER_NAMES.join(', ')}.`, { sampler: String(name) });
  }
}
