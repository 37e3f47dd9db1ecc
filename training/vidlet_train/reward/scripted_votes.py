"""PROXY votes for measurement: two takes per prompt (seeds s and s+1), voted by the project's judge
(vidlet_train.judge), written in the exact JSONL the page exports (src/votes/vote-record.ts,
version 1), so reward.flow_dpo reads them as it reads a person's.

    cd training && .venv/bin/python -m vidlet_train.reward.scripted_votes \\
        --prompts ../tests/fixtures/eval-prompts.json --package ../public/models/vidlet-tiny \\
        --out runs/proxy-votes.jsonl --n 40

Only text alignment is voted: TA = A when take A has more of colour, shape, background and
direction judged correct, B when fewer, a tie when equal. VQ, MQ and overall are left out (not
voted): the judge measures none of them, and a person's "overall" is not what it measures either.
So train on these with `--dimension ta`. Ids start "proxy-" so a pooled file still shows which
votes were not a person's; nothing else in a record differs.
"""
from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from ..judge import judge_clip, score
from . import regenerate
from .votes import package_hash


def ta_outcome(correct_a: int, correct_b: int) -> str:
    return "A" if correct_a > correct_b else "B" if correct_b > correct_a else "tie"


def settings_for(prompt: str, seed: int, schedule: dict) -> dict:
    """The page's GenerationSettings at the model's defaults, no adapters (as FALLBACK_SETTINGS orders them)."""
    return {"prompt": prompt, "negativePrompt": "", "seed": seed, "steps": schedule["defaultSteps"],
            "guidance": schedule["defaultGuidance"], "innerGuidance": schedule.get("defaultInnerGuidance", 0),
            "sampler": schedule["defaultSampler"], "adapters": [], "blend": "constant"}


def vote_record(p: dict, model: str, model_hash: str, variant: str, sa: dict, sb: dict, outcome: str) -> dict:
    return {"version": 1, "id": f"proxy-{uuid.uuid4()}", "createdAt": int(time.time() * 1000), "prompt": p["prompt"],
            "negative": "", "model": model, "modelHash": model_hash, "variant": variant,
            "a": {"settings": sa, "adapterHashes": {}}, "b": {"settings": sb, "adapterHashes": {}},
            "outcomes": {"TA": outcome}}


def to_uint8(clip) -> np.ndarray:
    """[3, T, H, W] in [-1, 1] (regenerate.read_frames_zip) back to the PNGs' [T, H, W, 3] bytes."""
    return ((clip.permute(1, 2, 3, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


def main(argv=None, make_take=regenerate.make_take) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=Path, required=True, help="JSON list of judge prompts (colour, shape, background, direction, seed)")
    ap.add_argument("--package", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=20, help="pairs to make (the first N prompts)")
    ap.add_argument("--variant", default="fp32")
    ap.add_argument("--take-cache", type=Path, help="keep the takes here (regenerate.make_take's cache): "
                                                     "flow_dpo --take-cache with the same folder reads them instead of making them again")
    args = ap.parse_args(argv)
    if args.take_cache is not None:
        make_take = functools.partial(make_take, cache=args.take_cache)

    manifest = json.loads((args.package / "manifest.json").read_text())
    model_hash = package_hash(args.package)
    prompts = json.loads(args.prompts.read_text())[: args.n]
    with tempfile.TemporaryDirectory() as work, args.out.open("w") as out:
        for p in prompts:
            sa, sb = (settings_for(p["prompt"], p["seed"] + k, manifest["schedule"]) for k in (0, 1))
            correct = []
            for side, s in (("a", sa), ("b", sb)):
                clip, _ = make_take(s, args.variant, args.package, Path(work), f'{p["id"]}-{side}')
                correct.append(sum(score(judge_clip(to_uint8(clip)), p).values()))
            out.write(json.dumps(vote_record(p, manifest["name"], model_hash, args.variant, sa, sb, ta_outcome(*correct))) + "\n")
            print(f'{p["id"]}: A {correct[0]}/4, B {correct[1]}/4 correct -> TA {ta_outcome(*correct)}')
    print(f"wrote {len(prompts)} PROXY votes (judge, text alignment only) to {args.out}")


if __name__ == "__main__":
    main()
