"""Held-out accuracy of a reward model, per dimension, as VideoAlign reports it.

For each labelled (pair, dimension) with d = rA − rB:
  acc_without_ties   on the pairs whose label is A or B: the share where sign(d) names the winner
                     (d = 0 counts as wrong).
  acc_with_ties      on all labelled pairs: the share where the predicted outcome — the argmax of the
                     BTT probabilities at θ = 5, i.e. a tie when |d| < ln((θ² − 2)/θ) ≈ 1.526, else
                     the higher reward (btt.predict_outcome; src/votes/btt.ts predictOutcome, the rule
                     src/votes/taste-head.ts scores votes with) — equals the label.
  acc_with_ties_calibrated   the same with the tie threshold ε fitted to maximise accuracy with ties on a
                     separate calibration set of training-split pairs ("tie calibration", Deutsch et
                     al. 2023, which VideoAlign uses to score models that, like plain BT, have no tie
                     of their own). ε is reported beside it.
  always_tie_baseline  accuracy with ties of calling every pair a tie (the share of ties): most proxy
                     pairs tie in any one dimension, so accuracy with ties means little below this.
  nll                mean NLL of the labels under the model's own loss (BTT: all labels; BT: decisive).

Compare two runs: python -m vidlet_train.reward.metrics runs/reward-btt runs/reward-bt
"""
from __future__ import annotations

import json
import os
import sys

import torch

from .btt import A, B, TIE, UNLABELLED, bt_nll, btt_nll, predict_outcome, tie_margin
from .model import SCORE_NAMES
from .pairset import PairSet, from_u8


@torch.no_grad()
def score_pairs(model, pairs: PairSet, batch: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """(rA [N, 3], rB [N, 3]) in eval mode (the model's mode is restored)."""
    was = model.training
    model.eval()
    ra, rb = [], []
    for i in range(0, len(pairs), batch):
        text, mask = pairs.text[i:i + batch].float(), pairs.mask[i:i + batch].float()
        ra.append(model(from_u8(pairs.a[i:i + batch]), text, mask)[0])
        rb.append(model(from_u8(pairs.b[i:i + batch]), text, mask)[0])
    model.train(was)
    return torch.cat(ra), torch.cat(rb)


def calibrate_tie_threshold(d: torch.Tensor, labels: torch.Tensor) -> float:
    """The ε ≥ 0 that maximises accuracy with ties of 'tie when |d| < ε' on these labelled pairs
    (candidates: 0 and midpoints between consecutive |d|; the smallest best ε wins)."""
    keep = labels != UNLABELLED
    d, labels = d[keep], labels[keep]
    if len(d) == 0:
        return 0.0
    mags = d.abs().sort().values
    candidates = torch.cat([torch.zeros(1), (mags[1:] + mags[:-1]) / 2, mags[-1:] + 1e-6])
    acc = torch.stack([(predict_outcome(d, float(e)) == labels).float().mean() for e in candidates])
    return float(candidates[int(acc.argmax())])


def dimension_metrics(d: torch.Tensor, labels: torch.Tensor, loss: str, epsilon: float | None) -> dict:
    keep = labels != UNLABELLED
    d, labels = d[keep], labels[keep]
    decisive = (labels == A) | (labels == B)
    right_sign = ((d > 0) & (labels == A)) | ((d < 0) & (labels == B))
    out = {"n": int(len(labels)), "n_ties": int((labels == TIE).sum()), "n_decisive": int(decisive.sum()),
           "acc_without_ties": _mean(right_sign[decisive]),
           "acc_with_ties": _mean(predict_outcome(d, tie_margin()) == labels) if len(labels) else None,
           "always_tie_baseline": _mean(labels == TIE)}
    if epsilon is not None:
        out["acc_with_ties_calibrated"] = _mean(predict_outcome(d, epsilon) == labels) if len(labels) else None
        out["tie_epsilon"] = round(epsilon, 4)
    nll = btt_nll(d, labels) if loss == "btt" else bt_nll(d, labels)[decisive]
    out["nll"] = _mean(nll)
    return out


def _mean(x: torch.Tensor) -> float | None:
    return round(float(x.float().mean()), 4) if x.numel() else None


def evaluate(model, held: PairSet, loss: str, calib: PairSet | None = None) -> dict:
    """Per dimension metrics on `held` (see the module doc), plus accuracy without ties by pair kind."""
    ra, rb = score_pairs(model, held)
    d = ra - rb
    eps = [None] * len(SCORE_NAMES)
    if calib is not None and len(calib):
        ca, cb = score_pairs(model, calib)
        eps = [calibrate_tie_threshold((ca - cb)[:, j], calib.outcomes[:, j]) for j in range(len(SCORE_NAMES))]
    out = {name: dimension_metrics(d[:, j], held.outcomes[:, j], loss, eps[j]) for j, name in enumerate(SCORE_NAMES)}
    by_kind: dict[str, dict] = {}
    for kind in sorted(set(held.kinds)):
        rows = torch.tensor([k == kind for k in held.kinds])
        entry = {"n": int(rows.sum())}
        for j, name in enumerate(SCORE_NAMES):
            lab, dd = held.outcomes[rows, j], d[rows, j]
            dec = (lab == A) | (lab == B)
            if dec.any():
                entry[name] = _mean((((dd > 0) & (lab == A)) | ((dd < 0) & (lab == B)))[dec])
        by_kind[kind] = entry
    out["by_kind"] = by_kind
    return out


def comparison_table(runs: list[str]) -> str:
    """Markdown: one row per run and dimension from each run's eval.json."""
    lines = ["| run | loss | step | dim | acc w/o ties | acc w/ ties (θ=5 rule) | acc w/ ties (calibrated ε) | all-tie baseline | n |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        ev = json.load(open(os.path.join(run, "eval.json")))
        for name in SCORE_NAMES:
            m = ev["held_out"][name]
            lines.append(f"| {os.path.basename(os.path.normpath(run))} | {ev['loss']} | {ev['step']} | {name} | "
                         f"{m['acc_without_ties']} | {m['acc_with_ties']} | {m.get('acc_with_ties_calibrated')} "
                         f"(ε {m.get('tie_epsilon')}) | {m.get('always_tie_baseline')} | {m['n']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(comparison_table(sys.argv[1:]))
