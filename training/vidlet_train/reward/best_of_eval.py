"""Best-of-N measured by the judge (#9): is the take the reward model ranks first more often right
than a take picked at random?

    for k in 0 1 2 3; do npx tsx scripts/eval-engine.ts --prompts P.json --out .tmp/bo/$k --seed-offset $k --score; done
    for k in 0 1 2 3; do training/.venv/bin/python -m vidlet_train.judge --clips .tmp/bo/$k --prompts P.json --out .tmp/bo/$k/judge.json; done
    training/.venv/bin/python -m vidlet_train.reward.best_of_eval .tmp/bo/0 .tmp/bo/1 .tmp/bo/2 .tmp/bo/3

Folder k holds every prompt's take from seed + k (the engine's best-of-N takes), its reward scores
(scores.json) and the judge's rows (judge.json). For each ranking (overall, TA) the table gives the
judge's accuracy per attribute of the top-ranked take; "random take" is the mean over all N takes
(the expected accuracy of picking one at random); "best possible" picks, per prompt, the take with
the most attributes right (what a perfect ranker could reach). Equal scores go to the lower seed,
as in src/package/reward.ts rankTakes.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ATTRIBUTES = ("colour", "shape", "background", "direction")


def best_of_table(takes: list[dict]) -> dict:
    """takes[k] = {id: {"scores": {VQ, MQ, TA, overall}, "correct": {attribute: bool}}} for seed + k.
    Returns {row: {attribute: accuracy, "all": mean of the four}, "n": prompts} over the ids every take has."""
    ids = sorted(set.intersection(*(set(t) for t in takes)))
    if not ids:
        raise ValueError("the take folders share no prompt id")

    def acc(pick) -> dict:
        row = {a: sum(float(pick(i)["correct"][a]) for i in ids) / len(ids) for a in ATTRIBUTES}
        row["all"] = sum(row[a] for a in ATTRIBUTES) / len(ATTRIBUTES)
        return row

    def top(i, key):  # max score; on equal scores the lower seed (earlier folder)
        return max(range(len(takes)), key=lambda k: (takes[k][i]["scores"][key], -k))

    random = {a: sum(float(t[i]["correct"][a]) for t in takes for i in ids) / (len(ids) * len(takes)) for a in ATTRIBUTES}
    random["all"] = sum(random[a] for a in ATTRIBUTES) / len(ATTRIBUTES)
    rights = lambda i, k: sum(bool(takes[k][i]["correct"][a]) for a in ATTRIBUTES)  # noqa: E731
    return {"random take": random,
            "top by overall": acc(lambda i: takes[top(i, "overall")][i]),
            "top by TA": acc(lambda i: takes[top(i, "TA")][i]),
            "best possible": acc(lambda i: takes[max(range(len(takes)), key=lambda k: (rights(i, k), -k))][i]),
            "n": len(ids), "takes": len(takes)}


def read_folder(folder: Path) -> dict:
    scores = json.loads((folder / "scores.json").read_text())
    rows = json.loads((folder / "judge.json").read_text())["rows"]
    return {r["id"]: {"scores": scores[r["id"]], "correct": r["correct"]} for r in rows if r["id"] in scores}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", type=Path, nargs="+", help="one eval-engine --score folder per seed offset, 0 first")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    try:
        table = best_of_table([read_folder(f) for f in args.folders])
    except (OSError, KeyError, ValueError) as e:
        raise SystemExit(f"best_of_eval: {e}")
    print(f"{table['n']} prompts, best of {table['takes']}")
    print("| take | " + " | ".join(ATTRIBUTES) + " | mean |\n|---|" + "---|" * (len(ATTRIBUTES) + 1))
    for name in ("random take", "top by overall", "top by TA", "best possible"):
        print(f"| {name} | " + " | ".join(f"{table[name][a]:.3f}" for a in (*ATTRIBUTES, "all")) + " |")
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
