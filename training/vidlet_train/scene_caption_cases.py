"""Write tests/fixtures/scene-caption-cases.json: training captions of one, two and three scenes
with the caption of each scene, as world/captions.py writes them. The prompt parser
(src/package/scene-text.ts) must read every one back into the same scenes, so a prompt written
the way the model was trained splits the way the training joined it (tests/unit/scenes).

python -m vidlet_train.scene_caption_cases --out ../tests/fixtures/scene-caption-cases.json

Three-scene captions are template style only: the rich style's "scene 1: … cut to scene 2: …"
form writes the first two scenes of a longer clip (captions.py, rich_caption), so its scene list
would not match.
"""
from __future__ import annotations

import argparse
import json
import random

from .world import sample_clip_spec


def build_cases(seed: int = 10, per_kind: int = 100) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for n_scenes, style in ((1, "rich"), (1, "template"), (2, "rich"), (2, "template"), (3, "template")):
        for _ in range(per_kind):
            spec = sample_clip_spec(rng, 16 * n_scenes, n_scenes=n_scenes, style=style, template_prob=0.0)
            cases.append({"style": style, "caption": spec.caption, "scenes": spec.scene_captions})
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="../tests/fixtures/scene-caption-cases.json")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--per-kind", type=int, default=100)
    args = ap.parse_args()
    doc = {
        "description": "Training captions (world/captions.py) with each scene's caption; written by "
                       "training/vidlet_train/scene_caption_cases.py.",
        "cases": build_cases(args.seed, args.per_kind),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {len(doc['cases'])} cases to {args.out}")


if __name__ == "__main__":
    main()
