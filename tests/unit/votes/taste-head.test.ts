/**
 * The taste head on synthetic votes: drawn from the BTT model with a known w it finds w's
 * direction and predicts held-out votes well above chance; on votes that ignore the takes it
 * predicts at chance. Plus the split, the input checks and the time it takes.
 */
import { describe, expect, it } from 'vitest';
import { BTT_THETA, OUTCOMES, bttTerms, type Outcome } from '../../../src/votes/btt';
import { fitTasteHead, isHeldOut, tasteScore, type TasteVote } from '../../../src/votes/taste-head';

/** mulberry32: a small seeded generator, so every run draws the same votes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const features = (random: () => number, D: number) => Float32Array.from({ length: D }, () => gaussian(random));

/** Votes whose outcomes are drawn from BTT with rewards w·x (or uniformly when `w` is absent). */
function syntheticVotes(n: number, D: number, seed: number, w?: Float32Array): TasteVote[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = features(random, D);
    const b = features(random, D);
    let outcome: Outcome = OUTCOMES[Math.floor(random() * 3)];
    if (w) {
      // P(outcome) = e^−NLL under BTT with θ = 5.
      const d = tasteScore(w, a) - tasteScore(w, b);
      const [pA, pB] = [Math.exp(-bttTerms(d, 'A').nll), Math.exp(-bttTerms(d, 'B').nll)];
      const u = random();
      outcome = u < pA ? 'A' : u < pA + pB ? 'B' : 'tie';
    }
    return { id: `vote-${seed}-${i}`, a, b, outcome };
  });
}

/** A true w of norm s: with unit-normal features, rA − rB has standard deviation s·√2. */
function trueWeights(D: number, s: number, seed: number): Float32Array {
  const w = features(rng(seed), D);
  const norm = Math.hypot(...w);
  return w.map((x) => (x * s) / norm);
}

function cosine(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return tasteScore(x, y) / Math.sqrt(tasteScore(x, x) * tasteScore(y, y));
}

describe('fitTasteHead', () => {
  it('recovers the direction of the w that drew the votes and predicts held-out votes well above chance', () => {
    const D = 16;
    const w = trueWeights(D, 3, 1);
    const head = fitTasteHead(syntheticVotes(600, D, 2, w));
    expect(head.converged).toBe(true);
    expect(cosine(head.weights, w)).toBeGreaterThan(0.9);
    expect(head.heldOutCount).toBeGreaterThan(80);
    // Three outcomes: chance is 1/3. The true w itself scores 0.78 on these votes (outcomes are drawn, not decided).
    expect(head.heldOutAccuracy).toBeGreaterThan(0.6);
    expect(head.heldOutLoss).toBeLessThan(Math.log(3));
  });

  it('200 votes × 64 features, the size a person might give: still points the right way, in well under a second', () => {
    const D = 64;
    const w = trueWeights(D, 3, 3);
    const votes = syntheticVotes(200, D, 4, w);
    // CPU time, not wall time: on a machine shared with a training job the wall clock measures the
    // other job (this fit takes ~60 ms of CPU there, and 2–4 s of wall time at nice 19).
    const start = process.cpuUsage();
    const head = fitTasteHead(votes);
    const used = process.cpuUsage(start);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    expect(head.converged).toBe(true);
    expect(head.trainCount + head.heldOutCount).toBe(200);
    expect(cosine(head.weights, w)).toBeGreaterThan(0.9); // 0.946 on these votes
    expect(head.heldOutAccuracy).toBeGreaterThan(0.5);
  });

  it('votes that ignore the takes: held-out accuracy near chance (1/3)', () => {
    const D = 16;
    const head = fitTasteHead(syntheticVotes(1500, D, 5));
    expect(head.heldOutCount).toBeGreaterThan(200);
    expect(head.heldOutAccuracy).toBeGreaterThan(0.2);
    expect(head.heldOutAccuracy).toBeLessThan(0.45);
  });

  it('reaches the minimum: the gradient of J is zero at the weights it returns', () => {
    const D = 8;
    const l2 = 0.05;
    const votes = syntheticVotes(120, D, 6, trueWeights(D, 2, 7));
    const head = fitTasteHead(votes, { l2, heldOutFraction: 0 });
    expect(head.heldOutCount).toBe(0);
    expect(head.heldOutAccuracy).toBeUndefined();
    const w = Float64Array.from(head.weights);
    const grad = w.map((wj) => l2 * wj);
    for (const v of votes) {
      const { slope } = bttTerms(tasteScore(w, v.a) - tasteScore(w, v.b), v.outcome, BTT_THETA);
      for (let j = 0; j < D; j++) grad[j] += (slope * (v.a[j] - v.b[j])) / votes.length;
    }
    // float32 weights: the gradient is zero to float32 precision.
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-5);
    expect(head.trainLoss).toBeCloseTo(
      votes.reduce((s, v) => s + bttTerms(tasteScore(w, v.a) - tasteScore(w, v.b), v.outcome).nll, 0) / votes.length,
      9,
    );
  });

  it('is deterministic, and a stronger penalty gives smaller weights', () => {
    const votes = syntheticVotes(200, 12, 8, trueWeights(12, 3, 9));
    expect(fitTasteHead(votes)).toEqual(fitTasteHead(votes));
    const norm = (w: Float32Array) => Math.hypot(...w);
    expect(norm(fitTasteHead(votes, { l2: 1 }).weights)).toBeLessThan(norm(fitTasteHead(votes, { l2: 0.01 }).weights));
  });

  it('refuses features of different lengths, non-finite features, no votes and λ ≤ 0', () => {
    const votes = syntheticVotes(3, 4, 10);
    expect(() => fitTasteHead([...votes, { id: 'short', a: new Float32Array(3), b: new Float32Array(4), outcome: 'A' }])).toThrow(/"short".*length 3 and 4.*4/);
    expect(() => fitTasteHead([{ ...votes[0], id: 'nan', b: Float32Array.of(0, Number.NaN, 0, 0) }])).toThrow(/"nan".*finite/);
    expect(() => fitTasteHead([])).toThrow(/at least one vote/);
    expect(() => fitTasteHead(votes, { l2: 0 })).toThrow(/above 0/);
  });
});

describe('isHeldOut', () => {
  it('holds out about the asked share, by id alone, and another seed draws another split', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `2026-12-${i}`);
    const held = ids.filter((id) => isHeldOut(id, 0.2));
    expect(held.length / ids.length).toBeGreaterThan(0.18);
    expect(held.length / ids.length).toBeLessThan(0.22);
    expect(ids.filter((id) => isHeldOut(id, 0.2))).toEqual(held);
    const other = ids.filter((id) => isHeldOut(id, 0.2, 1));
    expect(other).not.toEqual(held);
    expect(ids.filter((id) => isHeldOut(id, 0)).length).toBe(0);
    expect(ids.filter((id) => isHeldOut(id, 1)).length).toBe(ids.length);
  });
});
