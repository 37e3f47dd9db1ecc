/**
 * Bradley–Terry with ties (Rao–Kupper), as VideoAlign fits its reward model to human votes. For
 * rewards rA, rB of two takes and tie parameter θ:
 *
 *   P(A) = e^rA / (e^rA + θ·e^rB)        P(B) = e^rB / (θ·e^rA + e^rB)
 *   P(tie) = (θ² − 1)·e^rA·e^rB / ((e^rA + θ·e^rB)(θ·e^rA + e^rB)) = (θ² − 1)·P(A)·P(B)
 *
 * Everything depends only on d = rA − rB: with L = ln θ, P(A) = σ(d − L) and P(B) = σ(−d − L),
 * so the negative log-likelihoods are softplus terms, which never overflow (no e^r is formed):
 *
 *   NLL(A) = softplus(L − d)   NLL(B) = softplus(L + d)   NLL(tie) = softplus(L − d) + softplus(L + d) − ln(θ² − 1)
 *
 * θ must be above 1: θ = 1 is plain Bradley–Terry (P(A) = σ(d)), which gives a tie probability 0.
 * The taste head fits by the NLL and its derivatives in d (bttTerms) and judges by the most probable
 * outcome (predictOutcome). Pure: plain numbers in, plain numbers out.
 */

export const OUTCOMES = ['A', 'B', 'tie'] as const;
/** Which take a person preferred: A, B, or neither (a tie). */
export type Outcome = (typeof OUTCOMES)[number];

/** VideoAlign's tie parameter (θ = 5, the paper's default). */
export const BTT_THETA = 5;

/** The NLL of one outcome as a function of d = rA − rB, with its first and second derivatives in d. */
export interface OutcomeTerms {
  nll: number;
  /** ∂NLL/∂d; ∂NLL/∂rA = slope, ∂NLL/∂rB = −slope. */
  slope: number;
  /** ∂²NLL/∂d² ≥ 0: the NLL is convex in d, which the taste head's Newton steps rely on. */
  curvature: number;
}

export function isOutcome(v: unknown): v is Outcome {
  return (OUTCOMES as readonly unknown[]).includes(v);
}

/** ln(1 + e^x) without overflow for large x or loss of precision for very negative x. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^−x) without overflow either way. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function checkTheta(theta: number): number {
  // θ = 1 makes P(tie) zero (plain Bradley–Terry): a tie would have infinite NLL, so BTT needs θ > 1.
  if (!(theta > 1) || !Number.isFinite(theta)) throw new RangeError(`The tie parameter θ must be a finite number above 1, got ${theta}.`);
  return Math.log(theta);
}

/** −ln P(outcome) under Bradley–Terry with ties, with its derivatives in d = rA − rB. */
export function bttTerms(d: number, outcome: Outcome, theta: number = BTT_THETA): OutcomeTerms {
  const L = checkTheta(theta);
  // σ(L − d) = 1 − P(A) and σ(L + d) = 1 − P(B); softplus' = σ and σ' = σ(1 − σ).
  const pA = L - d;
  const pB = L + d;
  if (outcome === 'A') {
    const s = sigmoid(pA);
    return { nll: softplus(pA), slope: -s, curvature: s * (1 - s) };
  }
  if (outcome === 'B') {
    const s = sigmoid(pB);
    return { nll: softplus(pB), slope: s, curvature: s * (1 - s) };
  }
  const sA = sigmoid(pA);
  const sB = sigmoid(pB);
  return { nll: softplus(pA) + softplus(pB) - Math.log(theta * theta - 1), slope: sB - sA, curvature: sA * (1 - sA) + sB * (1 - sB) };
}

/**
 * Below this |rA − rB| a tie is the most probable outcome: P(tie) > P(A) ⇔ (θ² − 1)·P(B) > 1 ⇔
 * e^|d| < (θ² − 2)/θ. For θ = 5 that is ln 4.6 ≈ 1.526. For θ ≤ 2 a tie is never the most probable.
 */
export function tieMargin(theta: number = BTT_THETA): number {
  checkTheta(theta);
  return theta * theta - 2 > theta ? Math.log((theta * theta - 2) / theta) : 0;
}

/** The most probable outcome for rewards rA, rB: a tie when |rA − rB| < tieMargin(θ). */
export function predictOutcome(rA: number, rB: number, theta: number = BTT_THETA): Outcome {
  const d = rA - rB;
  if (Math.abs(d) < tieMargin(theta)) return 'tie';
  return d > 0 ? 'A' : 'B';
}
