/**
 * Bradley–Terry with ties against likelihoods worked out by hand from the paper's formula (with
 * e^r written out, unlike the softplus form the module uses), derivatives against finite
 * differences, and rewards large enough that e^r would overflow. Everything goes through what the
 * taste head calls: bttTerms (NLL and its derivatives in d = rA − rB) and predictOutcome.
 */
import { describe, expect, it } from 'vitest';
import { BTT_THETA, OUTCOMES, bttTerms, predictOutcome, tieMargin, type Outcome } from '../../../src/votes/btt';

const e = Math.E;

/** −ln P(outcome | rA, rB). */
const bttNll = (rA: number, rB: number, o: Outcome, theta = BTT_THETA) => bttTerms(rA - rB, o, theta).nll;

/** P(outcome | rA, rB) = e^−NLL. */
const bttProbability = (rA: number, rB: number, o: Outcome, theta = BTT_THETA) => Math.exp(-bttNll(rA, rB, o, theta));

/** P(A), P(B) and P(tie). */
const bttProbabilities = (rA: number, rB: number, theta = BTT_THETA) =>
  Object.fromEntries(OUTCOMES.map((o) => [o, bttProbability(rA, rB, o, theta)])) as Record<Outcome, number>;

describe('Bradley–Terry with ties', () => {
  it('uses the paper\'s θ = 5', () => {
    expect(BTT_THETA).toBe(5);
  });

  it('θ = 5, rA = 1, rB = 0: the probabilities and NLLs worked out by hand', () => {
    // P(A) = e^1 / (e^1 + 5·e^0) = 2.71828 / 7.71828 = 0.352187
    // P(B) = e^0 / (5·e^1 + e^0) = 1 / 14.59141 = 0.068533
    // P(tie) = (25 − 1)·e^1·e^0 / ((e + 5)(5e + 1)) = 65.23876 / 112.62063 = 0.579279
    const p = bttProbabilities(1, 0, 5);
    expect(p.A).toBeCloseTo(e / (e + 5), 12);
    expect(p.B).toBeCloseTo(1 / (5 * e + 1), 12);
    expect(p.tie).toBeCloseTo((24 * e) / ((e + 5) * (5 * e + 1)), 12);
    expect(p.A).toBeCloseTo(0.352187, 6);
    expect(p.B).toBeCloseTo(0.068533, 6);
    expect(p.tie).toBeCloseTo(0.579279, 6);
    // −ln of each: 1.043592, 2.680433, 0.545971
    expect(bttNll(1, 0, 'A', 5)).toBeCloseTo(1.043592, 6);
    expect(bttNll(1, 0, 'B', 5)).toBeCloseTo(2.680433, 6);
    expect(bttNll(1, 0, 'tie', 5)).toBeCloseTo(0.545971, 6);
  });

  it('equal rewards: P(A) = P(B) = 1 / (1 + θ) and P(tie) = (θ − 1)/(θ + 1)', () => {
    // e^r / (e^r + 5·e^r) = 1/6; tie = 24·e^2r / (6e^r · 6e^r) = 24/36 = 2/3.
    const p = bttProbabilities(0.3, 0.3);
    expect(p.A).toBeCloseTo(1 / 6, 12);
    expect(p.B).toBeCloseTo(1 / 6, 12);
    expect(p.tie).toBeCloseTo(2 / 3, 12);
  });

  it('θ = 2, rA = −0.5, rB = 1.5: each NLL matches −ln of the paper\'s formula', () => {
    const [a, b, t] = [Math.exp(-0.5), Math.exp(1.5), 2];
    expect(bttNll(-0.5, 1.5, 'A', t)).toBeCloseTo(-Math.log(a / (a + t * b)), 12);
    expect(bttNll(-0.5, 1.5, 'B', t)).toBeCloseTo(-Math.log(b / (t * a + b)), 12);
    expect(bttNll(-0.5, 1.5, 'tie', t)).toBeCloseTo(-Math.log(((t * t - 1) * a * b) / ((a + t * b) * (t * a + b))), 12);
  });

  it('the three outcomes\' e^−NLL sum to 1 and match the paper\'s formula', () => {
    for (const [rA, rB, theta] of [[0, 0, 5], [2, -1, 5], [-3, 4, 1.5], [10, 9.5, 20], [40, -40, 5]]) {
      const p = bttProbabilities(rA, rB, theta);
      expect(p.A + p.B + p.tie).toBeCloseTo(1, 12);
      const [a, b] = [Math.exp(rA), Math.exp(rB)];
      expect(p.A).toBeCloseTo(a / (a + theta * b), 12);
      expect(p.B).toBeCloseTo(b / (theta * a + b), 12);
      expect(p.tie).toBeCloseTo(((theta * theta - 1) * a * b) / ((a + theta * b) * (theta * a + b)), 12);
    }
  });

  it('gradients and curvature match central finite differences', () => {
    const h = 1e-5;
    for (const [rA, rB] of [[1, 0], [-0.7, 2.2], [3, 3], [8, -6]]) {
      for (const o of OUTCOMES) {
        // ∂NLL/∂rA = slope and ∂NLL/∂rB = −slope.
        const { slope } = bttTerms(rA - rB, o);
        expect(slope).toBeCloseTo((bttNll(rA + h, rB, o) - bttNll(rA - h, rB, o)) / (2 * h), 7);
        expect(-slope).toBeCloseTo((bttNll(rA, rB + h, o) - bttNll(rA, rB - h, o)) / (2 * h), 7);
        const d = rA - rB;
        expect(bttTerms(d, o).curvature).toBeCloseTo((bttTerms(d + h, o).slope - bttTerms(d - h, o).slope) / (2 * h), 6);
      }
    }
  });

  it('large rewards give finite, exact answers where e^r would overflow', () => {
    for (const o of OUTCOMES) {
      // Only the difference matters, so huge equal rewards are the same as zeros.
      expect(bttNll(800, 800, o)).toBeCloseTo(bttNll(0, 0, o), 12);
      expect(bttTerms(800 - 800, o)).toEqual(bttTerms(0, o));
      expect(bttProbability(800, 800, o)).toBeCloseTo(bttProbability(0, 0, o), 12);
    }
    // d = 2000: NLL(B) = softplus(ln 5 + 2000) = 2000 + ln 5 (to double precision); NLL(A) ≈ 5·e^−2000 = 0.
    expect(bttNll(1000, -1000, 'B')).toBeCloseTo(2000 + Math.log(5), 9);
    expect(bttNll(1000, -1000, 'A')).toBe(0);
    // NLL(tie) = softplus(ln 5 − 2000) + softplus(ln 5 + 2000) − ln 24 = 0 + 2000 + ln 5 − ln 24.
    expect(bttNll(1000, -1000, 'tie')).toBeCloseTo(2000 + Math.log(5) - Math.log(24), 9);
    const p = bttProbabilities(1000, -1000);
    expect([p.A, p.B, p.tie]).toEqual([1, 0, 0]);
    expect(bttTerms(-1e6 - 1e6, 'A').slope).toBe(-1);
    for (const o of OUTCOMES) {
      const t = bttTerms(-1e6 - 1e6, o);
      for (const x of [t.nll, t.slope, t.curvature]) expect(Number.isFinite(x)).toBe(true);
    }
  });

  it('refuses θ ≤ 1 (a tie would be impossible)', () => {
    for (const o of OUTCOMES) expect(() => bttTerms(0, o, 1)).toThrow(/above 1/);
    expect(() => bttTerms(0, 'tie', Number.NaN)).toThrow(/above 1/);
    expect(() => tieMargin(1)).toThrow(/above 1/);
  });

  it('predicts a tie exactly where it is the most probable outcome: |rA − rB| < ln((θ² − 2)/θ)', () => {
    expect(tieMargin(5)).toBeCloseTo(Math.log(4.6), 12);
    expect(tieMargin(2)).toBe(0);
    const wrong: [number, number][] = [];
    for (const theta of [1.5, 3, 5, 12]) {
      for (let d = -4; d <= 4; d += 0.05) {
        const p = bttProbabilities(d, 0, theta);
        const best = (Object.keys(p) as Outcome[]).reduce((x, y) => (p[y] > p[x] ? y : x));
        if (Math.abs(Math.abs(d) - tieMargin(theta)) > 1e-9 && predictOutcome(d, 0, theta) !== best) wrong.push([theta, d]);
      }
    }
    expect(wrong).toEqual([]);
    expect([predictOutcome(1.5, 0), predictOutcome(1.55, 0), predictOutcome(-1.55, 0)]).toEqual(['tie', 'A', 'B']);
  });
});
