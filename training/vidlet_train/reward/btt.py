"""Bradley–Terry with ties (θ = 5, VideoAlign) and plain Bradley–Terry in torch, the same formulas as
src/votes/btt.ts (read that file's header for the derivation). Only d = rA − rB matters; with
L = ln θ:

    NLL(A) = softplus(L − d)    NLL(B) = softplus(L + d)
    NLL(tie) = softplus(L − d) + softplus(L + d) − ln(θ² − 1)

Plain Bradley–Terry is θ = 1 without ties: NLL(A) = softplus(−d), NLL(B) = softplus(d).

Outcomes are integer codes so a batch is one tensor: A = 0, B = 1, tie = 2, and UNLABELLED = −1 for a
dimension nobody judged (it adds nothing to the loss and is left out of every accuracy).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

BTT_THETA = 5.0  # VideoAlign's tie parameter, = BTT_THETA in src/votes/btt.ts
A, B, TIE, UNLABELLED = 0, 1, 2, -1
OUTCOME_NAMES = ("A", "B", "tie")


def _log_theta(theta: float) -> float:
    # θ = 1 gives P(tie) = 0: a tie would have infinite NLL (same check as checkTheta in btt.ts)
    if not (theta > 1 and math.isfinite(theta)):
        raise ValueError(f"The tie parameter θ must be a finite number above 1, got {theta}.")
    return math.log(theta)


def btt_nll(d: torch.Tensor, outcome: torch.Tensor, theta: float = BTT_THETA) -> torch.Tensor:
    """−ln P(outcome | d = rA − rB) per element under Bradley–Terry with ties; 0 where UNLABELLED."""
    L = _log_theta(theta)
    a, b = F.softplus(L - d), F.softplus(L + d)
    nll = torch.where(outcome == A, a, torch.where(outcome == B, b, a + b - math.log(theta * theta - 1)))
    return torch.where(outcome == UNLABELLED, torch.zeros_like(nll), nll)


def bt_nll(d: torch.Tensor, outcome: torch.Tensor) -> torch.Tensor:
    """−ln P(winner | d) per element under plain Bradley–Terry; 0 for ties and UNLABELLED (BT cannot
    express a tie, so a BT model is trained on the decisive pairs only, as in VideoAlign's ablation)."""
    nll = torch.where(outcome == A, F.softplus(-d), F.softplus(d))
    return torch.where((outcome == A) | (outcome == B), nll, torch.zeros_like(nll))


def btt_probabilities(d: torch.Tensor, theta: float = BTT_THETA) -> torch.Tensor:
    """[..., 3]: P(A), P(B), P(tie) for d = rA − rB; they sum to 1."""
    L = _log_theta(theta)
    p_tie = torch.exp(math.log(theta * theta - 1) - F.softplus(L - d) - F.softplus(L + d))
    return torch.stack([torch.sigmoid(d - L), torch.sigmoid(-d - L), p_tie], -1)


def tie_margin(theta: float = BTT_THETA) -> float:
    """Below this |d| a tie is the most probable outcome: ln((θ² − 2)/θ), ≈ 1.526 for θ = 5 (btt.ts tieMargin)."""
    _log_theta(theta)
    return math.log((theta * theta - 2) / theta) if theta * theta - 2 > theta else 0.0


def predict_outcome(d: torch.Tensor, margin: float) -> torch.Tensor:
    """A (0) / B (1) / tie (2) for each d: a tie when |d| < margin, else the higher reward. With
    margin = tie_margin(θ) this is the argmax of the BTT probabilities (btt.ts predictOutcome)."""
    return torch.where(d.abs() < margin, torch.full_like(d, TIE, dtype=torch.long),
                       torch.where(d > 0, torch.full_like(d, A, dtype=torch.long), torch.full_like(d, B, dtype=torch.long)))


def pair_loss(rA: torch.Tensor, rB: torch.Tensor, outcomes: torch.Tensor, kind: str = "btt",
              theta: float = BTT_THETA) -> torch.Tensor:
    """Mean NLL over every labelled (pair, dimension) of [N, 3] rewards and [N, 3] outcome codes; for
    "bt" over the decisive ones only."""
    d = rA - rB
    if kind == "btt":
        nll, used = btt_nll(d, outcomes, theta), outcomes != UNLABELLED
    elif kind == "bt":
        nll, used = bt_nll(d, outcomes), (outcomes == A) | (outcomes == B)
    else:
        raise ValueError(f"unknown loss {kind!r}: use 'btt' (Bradley–Terry with ties) or 'bt' (plain Bradley–Terry)")
    return nll.sum() / used.sum().clamp(min=1)
