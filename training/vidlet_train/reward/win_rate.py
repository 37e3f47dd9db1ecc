"""The reward model's win rate of one set of takes over another made from the same prompts and
seeds (#9 "Closing the loop": a Flow-DPO adapter's takes against the base's).

    npx tsx scripts/eval-engine.ts --prompts P.json --out .tmp/before --score
    npx tsx scripts/eval-engine.ts --prompts P.json --out .tmp/after --score --adapter A.safetensors --lora NAME
    training/.venv/bin/python -m vidlet_train.reward.win_rate .tmp/before .tmp/after

A prompt counts 1 when the after-take scores higher on a dimension, ½ when equal, 0 when lower;
the standard error is the binomial one on the prompts scored in both.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

DIMENSIONS = ("VQ", "MQ", "TA", "overall")


def win_rates(before: dict, after: dict) -> dict:
    """{dimension: {win_rate, se, n}} over the ids both hold; refuses when they share none."""
    ids = sorted(set(before) & set(after))
    if not ids:
        raise ValueError("the two score files share no prompt id: were they made from the same prompts?")
    out = {}
    for d in DIMENSIONS:
        wins = sum(1.0 if after[i][d] > before[i][d] else 0.5 if after[i][d] == before[i][d] else 0.0 for i in ids)
        rate = wins / len(ids)
        out[d] = {"win_rate": rate, "se": math.sqrt(rate * (1 - rate) / len(ids)), "n": len(ids)}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path, help="eval-engine --score folder (or its scores.json)")
    ap.add_argument("after", type=Path)
    ap.add_argument("--json", type=Path, help="also write the table here")
    args = ap.parse_args(argv)
    read = lambda p: json.loads((p / "scores.json" if p.is_dir() else p).read_text())  # noqa: E731
    try:
        rates = win_rates(read(args.before), read(args.after))
    except (OSError, ValueError) as e:
        raise SystemExit(str(e))
    for d, r in rates.items():
        print(f"{d:8s} after beats before on {r['win_rate']:.3f} ± {r['se']:.3f} of {r['n']} prompts")
    if args.json:
        args.json.write_text(json.dumps(rates, indent=1))


if __name__ == "__main__":
    main()
