/**
 * One person's taste as a linear head on fixed reward-model features: r(take) = w·x(take), fitted
 * to their votes by minimising
 *
 *   J(w) = (1/N)·Σ NLL_BTT(w·a_i − w·b_i, outcome_i) + (λ/2)·‖w‖²
 *
 * over the training votes. There is no bias: Bradley–Terry only sees rA − rB, in which any bias
 * cancels. J is strictly convex for λ > 0 (each NLL is convex in d, the penalty is strictly
 * convex), so damped Newton steps from w = 0 reach the one minimum in a few iterations, with the
 * same result on every run and every machine with IEEE doubles. Pure: arrays in, arrays out.
 */
import { BTT_THETA, bttTerms, predictOutcome, type Outcome } from './btt';

export interface TasteVote {
  /** The vote's id: it decides, by a seeded hash, whether the vote is held out. */
  id: string;
  /** The reward model's features of take A and take B, of one length D for every vote. */
  a: Float32Array;
  b: Float32Array;
  outcome: Outcome;
}

export interface TasteHeadOptions {
  /** λ of the L2 penalty; it must be above 0 (it keeps Newton's system solvable). Default 0.01. */
  l2?: number;
  theta?: number;
  /** Share of votes held out for the accuracy (by hash of the id, not by order). Default 0.2. */
  heldOutFraction?: number;
  /** Seeds the split's hash, so another split of the same votes can be drawn. Default 0. */
  splitSeed?: number;
  /** Newton iterations at most. Default 50 (it converges in about 10). */
  maxIterations?: number;
  /** Stop when every component of ∇J is below this. Default 1e-9. */
  tolerance?: number;
}

export interface TasteHead {
  weights: Float32Array;
  /** Mean BTT NLL over the training votes at the fitted w (the penalty not included). */
  trainLoss: number;
  trainCount: number;
  heldOutCount: number;
  /** Mean BTT NLL over the held-out votes; undefined when none is held out. */
  heldOutLoss: number | undefined;
  /**
   * Share of held-out votes whose outcome is the most probable one under the head (predictOutcome:
   * a tie when |rA − rB| < ln((θ² − 2)/θ), ≈ 1.526 for θ = 5); undefined when none is held out.
   */
  heldOutAccuracy: number | undefined;
  iterations: number;
  converged: boolean;
}

/** The reward the head gives one take. */
export function tasteScore(weights: ArrayLike<number>, features: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < weights.length; j++) s += weights[j] * features[j];
  return s;
}

/** Whether the vote with this id is held out: a seeded 32-bit hash of the id, as a fraction of 2^32. */
export function isHeldOut(id: string, fraction: number, seed = 0): boolean {
  // FNV-1a over the UTF-16 units, then murmur3's finaliser so near-identical ids spread evenly.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32 < fraction;
}

export function fitTasteHead(votes: readonly TasteVote[], options: TasteHeadOptions = {}): TasteHead {
  const { l2 = 0.01, theta = BTT_THETA, heldOutFraction = 0.2, splitSeed = 0, maxIterations = 50, tolerance = 1e-9 } = options;
  if (!(l2 > 0) || !Number.isFinite(l2)) throw new RangeError(`The L2 weight λ must be a finite number above 0, got ${l2}.`);
  if (votes.length === 0) throw new RangeError('A taste head needs at least one vote.');
  const D = votes[0].a.length;
  for (const v of votes) {
    if (v.a.length !== D || v.b.length !== D) {
      throw new RangeError(`Vote "${v.id}" has features of length ${v.a.length} and ${v.b.length}; every take needs ${D}, as the first vote's.`);
    }
    if (!v.a.every(Number.isFinite) || !v.b.every(Number.isFinite)) throw new RangeError(`Vote "${v.id}" has a feature that is not a finite number.`);
  }
  const train: TasteVote[] = [];
  const held: TasteVote[] = [];
  for (const v of votes) (isHeldOut(v.id, heldOutFraction, splitSeed) ? held : train).push(v);

  // Only the differences Δ = a − b matter: rA − rB = w·Δ.
  const N = train.length;
  const delta = new Float64Array(N * D);
  train.forEach((v, i) => {
    for (let j = 0; j < D; j++) delta[i * D + j] = v.a[j] - v.b[j];
  });
  const outcomes = train.map((v) => v.outcome);

  const w = new Float64Array(D);
  const margins = (x: Float64Array) => {
    const d = new Float64Array(N);
    for (let i = 0; i < N; i++) d[i] = dot(x, delta, i * D, D);
    return d;
  };
  const objective = (x: Float64Array) => {
    const d = margins(x);
    let nll = 0;
    for (let i = 0; i < N; i++) nll += bttTerms(d[i], outcomes[i], theta).nll;
    return (N ? nll / N : 0) + (l2 / 2) * dot(x, x, 0, D);
  };

  let iterations = 0;
  let converged = false;
  let J = objective(w);
  for (; iterations < maxIterations; iterations++) {
    const d = margins(w);
    const grad = new Float64Array(D);
    const hess = new Float64Array(D * D);
    for (let i = 0; i < N; i++) {
      const { slope, curvature } = bttTerms(d[i], outcomes[i], theta);
      const row = i * D;
      for (let j = 0; j < D; j++) {
        const dj = delta[row + j];
        grad[j] += (slope * dj) / N;
        const cj = (curvature * dj) / N;
        for (let k = 0; k <= j; k++) hess[j * D + k] += cj * delta[row + k];
      }
    }
    let largest = 0;
    for (let j = 0; j < D; j++) {
      grad[j] += l2 * w[j];
      hess[j * D + j] += l2;
      largest = Math.max(largest, Math.abs(grad[j]));
    }
    if (largest < tolerance) {
      converged = true;
      break;
    }
    const step = choleskySolve(hess, grad, D); // H·step = ∇J; the Newton step is −step
    // Backtracking (Armijo): a full step is taken near the minimum; far from it, halve until J falls enough.
    const descent = -dot(grad, step, 0, D);
    let t = 1;
    const next = new Float64Array(D);
    let Jnext = Infinity;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      for (let j = 0; j < D; j++) next[j] = w[j] - t * step[j];
      Jnext = objective(next);
      if (Jnext <= J + 1e-4 * t * descent) break;
    }
    if (!(Jnext < J)) {
      converged = true; // no step lowers J in floating point: this is the minimum to machine precision
      break;
    }
    w.set(next);
    J = Jnext;
  }

  const weights = Float32Array.from(w);
  // Measured with the float32 weights handed back, so the numbers describe the head the caller gets.
  const meanNll = (list: TasteVote[]) =>
    list.reduce((s, v) => s + bttTerms(tasteScore(weights, v.a) - tasteScore(weights, v.b), v.outcome, theta).nll, 0) / list.length;
  const correct = held.filter((v) => predictOutcome(tasteScore(weights, v.a), tasteScore(weights, v.b), theta) === v.outcome).length;
  return {
    weights,
    trainLoss: N ? meanNll(train) : 0,
    trainCount: N,
    heldOutCount: held.length,
    heldOutLoss: held.length ? meanNll(held) : undefined,
    heldOutAccuracy: held.length ? correct / held.length : undefined,
    iterations,
    converged,
  };
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>, offset: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += x[j] * y[offset + j];
  return s;
}

/**
 * Solves H·x = b for a symmetric positive definite H of which only the lower triangle (k ≤ j of
 * H[j·n + k]) is filled. H = (1/N)·Σ c_i·Δ_iΔ_iᵀ + λI with c_i ≥ 0 and λ > 0 is always such a matrix.
 */
function choleskySolve(H: Float64Array, b: Float64Array, n: number): Float64Array {
  const Lm = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diag = H[j * n + j];
    for (let k = 0; k < j; k++) diag -= Lm[j * n + k] ** 2;
    const ljj = Math.sqrt(diag);
    Lm[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = H[i * n + j];
      for (let k = 0; k < j; k++) s -= Lm[i * n + k] * Lm[j * n + k];
      Lm[i * n + j] = s / ljj;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= Lm[i * n + k] * y[k];
    y[i] = s / Lm[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= Lm[k * n + i] * x[k];
    x[i] = s / Lm[i * n + i];
  }
  return x;
}
