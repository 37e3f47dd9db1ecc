"""Judge a package on the first N tuning prompts with every CPU thread, writing the JSON after every
batch (a time-boxed run still returns rows). Guidance and shift: the SHIPPED package's manifest
defaults, so scores compare with MODEL_CARD.md's tuning column.

    python gpu/quick_eval.py PKG PROMPTS.json N STEPS OUT.json THREADS
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch  # noqa: E402

from vidlet_train.evaluate import Package  # noqa: E402
from vidlet_train.judge import judge_clip, score, summarise  # noqa: E402

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "public", "models", "vidlet-tiny")


def main():
    pkg_dir, prompts_path, n, steps, out, threads = sys.argv[1:7]
    torch.set_num_threads(int(threads))
    sch = json.load(open(os.path.join(SHIPPED, "manifest.json")))["schedule"]
    guidance, inner, shift = sch["defaultGuidance"], sch["defaultInnerGuidance"], sch["shift"]
    t0 = time.time()
    pkg = Package(pkg_dir, "fp32", threads=int(threads))
    prompts = json.load(open(prompts_path))[:int(n)]
    rows = []
    for i in range(0, len(prompts), 8):
        chunk = prompts[i:i + 8]
        frames = pkg.generate([p["prompt"] for p in chunk], [p["seed"] for p in chunk], int(steps), guidance, inner, shift)
        for p, f in zip(chunk, frames):
            seen = judge_clip(f)
            want = {k: p[k] for k in ("colour", "shape", "background", "direction")}
            rows.append({"id": p["id"], "prompt": p["prompt"], "want": want, "seen": seen, "correct": score(seen, want)})
        summary = summarise(rows) | dict(variant="fp32", steps=int(steps), guidance=guidance, inner_guidance=inner,
                                         shift=shift, prompts=os.path.basename(prompts_path), wall_s=round(time.time() - t0))
        json.dump({"summary": summary, "rows": rows}, open(out + ".tmp", "w"), indent=1)
        os.replace(out + ".tmp", out)
        print(f"{len(rows)}/{len(prompts)} {json.dumps(summary)}", flush=True)


if __name__ == "__main__":
    main()
