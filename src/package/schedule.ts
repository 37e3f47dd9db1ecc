/**
 * How a package's sampling times are spaced before the shift (manifest `schedule.spacing`,
 * docs/model-package.md); src/engine/schedulers/timesteps.ts computes them.
 * - 'vidlet' (the default): linear from 1 to 0, what Vidlet's own models were trained and tuned with;
 * - 'diffusers': diffusers' FlowMatchEulerDiscreteScheduler (1,000 training steps), the grid the
 *   publisher's pipeline samples a converted model on.
 */
export const SIGMA_SPACINGS = ['vidlet', 'diffusers'] as const;
export type SigmaSpacing = (typeof SIGMA_SPACINGS)[number];
