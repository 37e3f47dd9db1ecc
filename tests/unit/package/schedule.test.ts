/**
 * The schedule contract (src/package/schedule.ts): a sigma list's rules, what may stand beside it,
 * and the fixed step count, which the parser, the engine, the page and the CLI all take from here
 * (their own tests: tests/unit/store/manifest-schedule.test.ts, tests/unit/engine/engine-sigmas.test.ts,
 * tests/unit/app/fixed-steps.test.ts, tests/unit/engine/cli-args.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fixedSteps, MAX_SIGMAS, sigmaListConflict, sigmaListProblem, stepsFor, stepsProblem } from '../../../src/package/schedule';
import { STEPS } from '../../../src/package/request';

describe('schedule contract', () => {
  it('a sigma list holds at most as many levels as a request may ask steps', () => {
    expect(MAX_SIGMAS).toBe(STEPS.max);
    expect(sigmaListProblem(Array.from({ length: 200 }, (_, i) => 1 - i / 200))).toBeUndefined();
    expect(sigmaListProblem(Array.from({ length: 201 }, (_, i) => 1 - i / 201))?.index).toBeUndefined();
  });

  it('names the first bad entry', () => {
    expect(sigmaListProblem([1, 0.5, 0.25])).toBeUndefined();
    expect(sigmaListProblem([1, 0.5, Infinity])).toEqual({ index: 2, problem: 'is Infinity, but must be a finite number' });
    expect(sigmaListProblem([1, 0.5, 0.6, 2])?.index).toBe(2);
    expect(sigmaListProblem([Number.MIN_VALUE])).toBeUndefined(); // (0, 1] is open at 0 only
  });

  it('shift 1 and the default spacing are no conflict; anything else beside a list is', () => {
    const sigmas = [1, 0.5];
    expect(sigmaListConflict({ sigmas })).toBeUndefined();
    expect(sigmaListConflict({ sigmas, shift: 1, spacing: 'vidlet', defaultSteps: 2 })).toBeUndefined();
    expect(sigmaListConflict({ sigmas, shift: 1.5 })?.field).toBe('shift');
    expect(sigmaListConflict({ sigmas, shift: '1' })?.field).toBe('shift');
    expect(sigmaListConflict({ sigmas, spacing: 'diffusers' })?.field).toBe('spacing');
    expect(sigmaListConflict({ sigmas, defaultSteps: 3 })?.field).toBe('defaultSteps');
  });

  it('the fixed step count: refused otherwise by the engine and the CLI, sent as it is by the page', () => {
    expect(fixedSteps({ sigmas: [1, 0.5] })).toBe(2);
    expect(fixedSteps({})).toBeUndefined();
    expect(stepsProblem(2, 2)).toBeUndefined();
    expect(stepsProblem(20, undefined)).toBeUndefined();
    expect(stepsProblem(1, 2)).toMatch(/^must be 2 for this model, got 1\. This model was distilled to sample on a fixed list of 2 noise levels/);
    expect(stepsProblem(2, 1)).toMatch(/fixed list of 1 noise level \(its manifest's schedule\.sigmas\), so it always takes 1 step\.$/);
    expect(stepsFor(20, 2)).toBe(2);
    expect(stepsFor(20, undefined)).toBe(20);
  });
});
