/**
 * `schedule.shiftTerminal` (src/package/schedule.ts): the computed grid stretched so its last level
 * before 0 is the terminal, exactly as diffusers' FlowMatchEulerDiscreteScheduler does with
 * `shift_terminal` (LTX-Video's published config: 0.1). Checked against the library's own numbers,
 * tests/fixtures/sigmas/diffusers-shift-terminal.json (made by make_terminal.py beside it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowSigmas, samplingSigmas, stretchToTerminal } from '../../../src/engine/schedulers/timesteps';
import { shiftTerminalProblem, sigmaListConflict, type SigmaSpacing } from '../../../src/package/schedule';

interface Case { spacing: SigmaSpacing; shift: number; shiftTerminal: number; steps: number; tokens?: number; sigmas: number[] }
const ref = JSON.parse(readFileSync('tests/fixtures/sigmas/diffusers-shift-terminal.json', 'utf8')) as { diffusers: string; cases: Case[] };

describe('schedule.shiftTerminal', () => {
  it("is diffusers' stretch_shift_to_terminal on both spacings (LTXPipeline's grid included)", () => {
    expect(ref.cases.length).toBe(36);
    expect(new Set(ref.cases.map((c) => c.spacing))).toEqual(new Set(['vidlet', 'diffusers']));
    for (const c of ref.cases) {
      const ours = samplingSigmas({ shift: c.shift, spacing: c.spacing, shiftTerminal: c.shiftTerminal }, c.steps);
      const label = `${c.spacing} shift ${c.shift} terminal ${c.shiftTerminal} steps ${c.steps}`;
      expect(ours, label).toHaveLength(c.sigmas.length);
      // diffusers computes in float32; the engine in float64
      ours.forEach((x, i) => expect(Math.abs(x - c.sigmas[i]!), `${label} [${i}]`).toBeLessThan(1e-6));
      expect(ours[0]).toBe(1);
      expect(ours[c.steps - 1]).toBeCloseTo(c.shiftTerminal, 12);
      expect(ours[c.steps]).toBe(0);
    }
    // the converter tests' tiny LTX clip (8 tokens) at 4 steps: the list LTXPipeline samples
    const tiny = ref.cases.find((c) => c.tokens === 8 && c.steps === 4)!;
    expect(tiny.sigmas.map((s) => Number(s.toFixed(4)))).toEqual([1, 0.7748, 0.4855, 0.1, 0]);
  });

  it('moves the grid where it matters: without it, the default LTX clip at 8 steps is up to 0.22 off', () => {
    const c = ref.cases.find((x) => x.tokens === 1680 && x.steps === 8)!;
    const plain = flowSigmas(8, c.shift, 'vidlet');
    const gap = Math.max(...plain.map((s, i) => Math.abs(s - c.sigmas[i]!)));
    expect(gap).toBeGreaterThan(0.2);
    expect(gap).toBeLessThan(0.25);
  });

  it('one step has nothing to stretch: [1, 0] (diffusers gives NaN there)', () => {
    expect(samplingSigmas({ shift: 3, spacing: 'vidlet', shiftTerminal: 0.1 }, 1)).toEqual([1, 0]);
    expect(samplingSigmas({ shift: 3, spacing: 'diffusers', shiftTerminal: 0.1 }, 1)).toEqual([1, 0]);
    expect(stretchToTerminal([1], 0.1)).toEqual([1]);
  });

  it('absent: the grid is as before', () => {
    expect(samplingSigmas({ shift: 3, spacing: 'diffusers' }, 4)).toEqual(flowSigmas(4, 3, 'diffusers'));
  });

  it('must be a number in (0, 1)', () => {
    for (const ok of [0.1, 1e-6, 0.999]) expect(shiftTerminalProblem(ok)).toBeUndefined();
    expect(shiftTerminalProblem(0)).toMatch(/^is 0, but must be in \(0, 1\)/);
    expect(shiftTerminalProblem(1)).toMatch(/^is 1, but must be in \(0, 1\)/);
    expect(shiftTerminalProblem(-0.1)).toMatch(/^is -0.1, but must be in \(0, 1\)/);
    expect(shiftTerminalProblem('0.1')).toBe('is "0.1", but must be a number in (0, 1), like 0.1');
    expect(shiftTerminalProblem(Number.NaN)).toMatch(/^is NaN, but must be a number/);
    expect(shiftTerminalProblem(null)).toMatch(/^is null, but must be a number/);
    expect(() => flowSigmas(4, 3, 'vidlet', 1)).toThrow(RangeError);
  });

  it('is refused beside an explicit list, which is used as it is', () => {
    expect(sigmaListConflict({ sigmas: [1, 0.5], shiftTerminal: 0.1 })).toEqual({
      field: 'shiftTerminal',
      problem: 'is 0.1, but schedule.sigmas gives the 2 noise levels explicitly, and they are used as they are; leave shiftTerminal out, or stretch the list\'s numbers',
    });
    expect(samplingSigmas({ shift: 1, spacing: 'vidlet', sigmas: [1, 0.5], shiftTerminal: 0.1 }, 2)).toEqual([1, 0.5, 0]);
  });
});
