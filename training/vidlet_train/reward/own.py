"""Optional pairs from the embedded model's own generations, labelled by the project's judge.

Layout of the folder given to `train --own-clips DIR` (several takes of the same prompts):

  DIR/<take>/<id>.zip     clips written by `vidlet generate` (PNG frames + settings.json with "prompt")
  DIR/<take>/judge.json   python -m vidlet_train.judge --clips DIR/<take> --prompts P.json --out DIR/<take>/judge.json

A take is any generation setting (seed, steps, guidance, variant); every two takes that both hold
a clip of prompt id X make one pair. Labels come from the judge's rows (judge.py), as proxies:
  TA   more of colour, shape, background, direction judged correct wins; as many -> tie.
  VQ   |ln(roughness / roughness_truth)| (the share of sharp edges against the rendered truth's: blocky
       or speckled clips score above 0, blurred ones below) — closer to 0 wins; within VQ_TIE -> tie.
  MQ   coherence path_jerk (mean |second difference| of the object's centroid, px) — lower wins;
       within max(MQ_TIE_PX, MQ_TIE_SHARE · the larger) -> tie.
A dimension the judge could not read (no object found) is UNLABELLED: it adds nothing to the loss or
to any accuracy. Prompt ids are split by a hash (OWN_HELD_OUT_FRACTION held out), so a held-out
prompt's takes are never trained on.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import os
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

from ..judge import _read_zip
from .btt import A, B, TIE, UNLABELLED
from .pairs import Pair

VQ_TIE = 0.2  # in |ln ratio|: roughness within ~22 % of each other's distance from the truth
MQ_TIE_PX = 0.5
MQ_TIE_SHARE = 0.25
OWN_HELD_OUT_FRACTION = 0.2


def _compare(x: float | None, y: float | None, tie: float) -> int:
    """Lower is better."""
    if x is None or y is None:
        return UNLABELLED
    if abs(x - y) < tie:
        return TIE
    return A if x < y else B


def judge_outcomes(ra: dict, rb: dict) -> tuple[int, int, int]:
    """(VQ, MQ, TA) outcome codes of take A against take B from their judge.json rows."""
    def vq(r):
        rough, truth = r.get("roughness"), r.get("roughness_truth")
        return abs(math.log(max(rough, 1e-6) / max(truth, 1e-6))) if rough is not None and truth else None

    def jerk(r):
        return (r.get("coherence") or {}).get("path_jerk")

    ja, jb = jerk(ra), jerk(rb)
    mq_tie = max(MQ_TIE_PX, MQ_TIE_SHARE * max(ja or 0, jb or 0))
    ta_a, ta_b = sum(bool(v) for v in ra["correct"].values()), sum(bool(v) for v in rb["correct"].values())
    ta = TIE if ta_a == ta_b else (A if ta_a > ta_b else B)
    return _compare(vq(ra), vq(rb), VQ_TIE), _compare(ja, jb, mq_tie), ta


def is_own_held_out(prompt_id: str) -> bool:
    return int(hashlib.sha1(f"own:{prompt_id}".encode()).hexdigest()[:8], 16) / 2 ** 32 < OWN_HELD_OUT_FRACTION


def _prompt_of(path: str) -> str:
    with zipfile.ZipFile(path) as z:
        names = sorted((n for n in z.namelist() if n.endswith("settings.json")), key=len)
        if not names:
            raise ValueError(f"{path} has no settings.json: it was not written by vidlet generate")
        return json.load(io.BytesIO(z.read(names[0])))["prompt"]


def _clip(path: str, frames: int, size: int) -> torch.Tensor:
    """uint8 [3, frames, size, size] from a zip of PNG frames (resampled if the package differs)."""
    v = torch.from_numpy(np.ascontiguousarray(_read_zip(path))).permute(3, 0, 1, 2)  # [3, F, H, W]
    if tuple(v.shape[1:]) != (frames, size, size):
        v = F.interpolate(v[None].float(), size=(frames, size, size), mode="trilinear", align_corners=False)[0]
        v = v.round().clamp(0, 255).to(torch.uint8)
    return v


def load_own_pairs(folder: str, frames: int = 16, size: int = 128) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, held-out pairs) from DIR/<take>/{<id>.zip, judge.json} (see the module doc)."""
    takes = sorted(d for d in os.listdir(folder) if os.path.isfile(os.path.join(folder, d, "judge.json")))
    if len(takes) < 2:
        raise ValueError(f"{folder} needs at least two take folders with a judge.json each (found {takes}); "
                         "see vidlet_train/reward/own.py for the layout")
    rows: dict[str, dict[str, dict]] = {}
    for take in takes:
        for r in json.load(open(os.path.join(folder, take, "judge.json")))["rows"]:
            if "id" in r and os.path.exists(os.path.join(folder, take, f"{r['id']}.zip")):
                rows.setdefault(r["id"], {})[take] = r
    train, held = [], []
    cache: dict[str, torch.Tensor] = {}

    def clip(take, pid):
        path = os.path.join(folder, take, f"{pid}.zip")
        if path not in cache:
            cache[path] = _clip(path, frames, size)
        return cache[path]

    for pid in sorted(rows):
        by_take = rows[pid]
        prompt = None
        for ta, tb in itertools.combinations(sorted(by_take), 2):
            outcomes = judge_outcomes(by_take[ta], by_take[tb])
            prompt = prompt or _prompt_of(os.path.join(folder, ta, f"{pid}.zip"))
            pair = Pair(prompt, clip(ta, pid), clip(tb, pid), outcomes, "own", f"own:{pid}")
            (held if is_own_held_out(pid) else train).append(pair)
    return train, held
