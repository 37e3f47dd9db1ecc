"""Adapter fidelity: the prompts, and the scores of clips generated for them.

    # the prompts (written once; committed as tests/fixtures/adapter-eval-prompts.json)
    .venv/bin/python -m vidlet_train.adapters.fidelity prompts --n 48 --seed 11 --out ../tests/fixtures/adapter-eval-prompts.json
    # clips for one configuration, through the real engine (scripts/eval-engine.ts --lora …)
    # then their scores:
    .venv/bin/python -m vidlet_train.adapters.fidelity score --clips ../.tmp/ad-dualreal --prompts ../tests/fixtures/adapter-eval-prompts.json

Each prompt asks for both things at once, the way a user of the two adapters would: the mascot
("pip", identity adapter) travelling a figure eight (motion adapter) on one of the world's
backgrounds, e.g. "pip moves in a figure eight on a blue to green gradient". The wording follows
the adapters' training captions; backgrounds, colours and seeds are drawn afresh (held out).

Scores (evaluate.py): identity = best masked NCC of the frames with the reference sprite;
specific = identity minus the same score for decoy sprites (the mascot's pixels shuffled), so
that coloured noise in the mascot's palette, which matches somewhere by chance, scores ≈ 0;
motion = correlation of the tracked subject's path with the figure eight. "hit" rates use the
midpoints between what the scores give for the training data itself and for base-world clips
(evaluate.py's test: mascot stills >= 0.76 vs world clips <= 0.53; figure-eight clips >= 0.99
vs world motions <= 0.63).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import zipfile

import numpy as np
import torch

from ..world import BACKGROUNDS, COLOURS
from .data import IDENTITY_TRIGGER, MOTION_TRIGGERS
from .evaluate import decoy_sprites, identity_score, path_score

IDENTITY_HIT = (0.76 + 0.53) / 2
MOTION_HIT = (0.99 + 0.63) / 2


def make_prompts(n: int, seed: int, path: str = "figure-eight") -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        background = rng.choice(list(BACKGROUNDS))
        # the mascot is yellow: keep its colours off the background, as its training data does
        colours = [c for c in COLOURS if c not in ("yellow", "orange")]
        c1 = rng.choice(colours)
        c2 = rng.choice([c for c in colours if c != c1])
        phrase = rng.choice(BACKGROUNDS[background]).format(c=rng.choice(COLOURS[c1][1]), c2=rng.choice(COLOURS[c2][1]))
        prompt = f"{IDENTITY_TRIGGER} moves in a {MOTION_TRIGGERS[path]} {phrase}"
        out.append({"id": f"a{i:03d}", "prompt": prompt, "path": path, "seed": rng.randrange(1 << 31)})
    return out


def read_zip(path: str) -> torch.Tensor:
    """A PNG-frame zip (vidlet's export) -> clip [3, T, H, W] in [-1, 1]."""
    from PIL import Image

    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".png"))
        frames = np.stack([np.array(Image.open(io.BytesIO(z.read(n))).convert("RGB")) for n in names])
    return torch.from_numpy(frames).float().permute(3, 0, 1, 2) / 127.5 - 1


def roughness(clip: torch.Tensor) -> float:
    """Mean absolute change between neighbouring pixels (clip in [-1, 1]): the adapters' training
    clips give 0.01-0.04, the base model's clips 0.02-0.16 (patterned backgrounds), pixel noise
    more. A broken adapter shows here before any fidelity score notices."""
    return float(((clip[:, :, 1:] - clip[:, :, :-1]).abs().mean() + (clip[..., 1:] - clip[..., :-1]).abs().mean()) / 2)


def score_clips(clips_dir: str, prompts: list[dict]) -> dict:
    decoys = decoy_sprites()
    rows = []
    for p in prompts:
        f = os.path.join(clips_dir, f"{p['id']}.zip")
        if not os.path.exists(f):
            continue
        clip = read_zip(f)
        ident = identity_score(clip)
        decoy = sum(identity_score(clip, sprite=d) for d in decoys) / len(decoys)
        rows.append({
            "id": p["id"], "identity": ident, "specific": ident - decoy, "motion": path_score(clip, p.get("path", "figure-eight")),
            "roughness": roughness(clip),
        })
    if not rows:
        raise SystemExit(f"no clips for these prompts in {clips_dir}")
    ident = np.array([r["identity"] for r in rows])
    motion = np.array([r["motion"] for r in rows])
    return {
        "n": len(rows),
        "identity": round(float(ident.mean()), 4),
        "specific": round(float(np.mean([r["specific"] for r in rows])), 4),
        "motion": round(float(motion.mean()), 4),
        "roughness": round(float(np.mean([r["roughness"] for r in rows])), 4),
        "identity_hit": round(float((ident >= IDENTITY_HIT).mean()), 4),
        "motion_hit": round(float((motion >= MOTION_HIT).mean()), 4),
        "both_hit": round(float(((ident >= IDENTITY_HIT) & (motion >= MOTION_HIT)).mean()), 4),
        "rows": rows,
    }


def paired_difference(a: dict, b: dict, key: str) -> tuple[float, float, int]:
    """Mean of a - b over the prompts both scored, and its standard error (same prompts and seeds,
    so the per-prompt difference is what varies between configurations)."""
    rb = {r["id"]: r[key] for r in b["rows"]}
    d = np.array([r[key] - rb[r["id"]] for r in a["rows"] if r["id"] in rb])
    if len(d) < 2:
        return float("nan"), float("nan"), len(d)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))), len(d)


def ceiling(vae_path: str, n: int, seed: int) -> dict:
    """What the scores give for the adapters' own training clips, as rendered and after a round
    trip through the base model's VAE: no generation can do better than the VAE's round trip."""
    from ..vae import load_vae
    from .data import VideoSize, identity_batch, motion_batch
    from .evaluate import identity_specificity

    vae = load_vae(vae_path)
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, make in (("identity", identity_batch), ("motion", motion_batch)):
        clips, _flow, _captions = make(n, VideoSize(16, 128, 128), g)
        with torch.no_grad():
            mu, _ = vae.encoder(clips)
            through = vae.decoder(mu).clamp(-1, 1)
        for label, batch in (("rendered", clips), ("through the VAE", through)):
            out[f"{name} clips, {label}"] = {
                "identity": round(float(np.mean([identity_score(c) for c in batch])), 4),
                "specific": round(float(np.mean([identity_specificity(c) for c in batch])), 4),
                "motion": round(float(np.mean([path_score(c) for c in batch])), 4),
            }
    return out


def contact_sheet(dirs: list[str], prompts: list[dict], out: str, columns: int = 8, tile: int = 64) -> None:
    """One row per folder of clips, one column per prompt (every len/columns-th), the middle frame
    of each clip: what the numbers are about, at a glance."""
    from PIL import Image

    picks = prompts[:: max(1, len(prompts) // columns)][:columns]
    sheet = Image.new("RGB", (tile * len(picks), tile * len(dirs)))
    for r, d in enumerate(dirs):
        for c, p in enumerate(picks):
            clip = read_zip(os.path.join(d, f"{p['id']}.zip"))
            frame = ((clip[:, clip.shape[1] // 2].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
            sheet.paste(Image.fromarray(frame).resize((tile, tile), Image.BILINEAR), (c * tile, r * tile))
    sheet.quantize(256).save(out, optimize=True)  # small enough to commit next to the model card


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prompts")
    p.add_argument("--n", type=int, default=48)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--path", choices=list(MOTION_TRIGGERS), default="figure-eight")
    p.add_argument("--out", required=True)
    s = sub.add_parser("score")
    s.add_argument("--clips", required=True, nargs="+", help="one or more folders of <id>.zip clips")
    s.add_argument("--prompts", required=True)
    s.add_argument("--json", help="write the full scores (per clip) here")
    s.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for these small FFTs)")
    s.add_argument("--paired", nargs="*", default=[], metavar="A:B",
                   help="also print mean(A - B) ± s.e. over the shared prompts, for folders A and B of --clips")
    k = sub.add_parser("sheet")
    k.add_argument("--clips", required=True, nargs="+")
    k.add_argument("--prompts", required=True)
    k.add_argument("--out", required=True)
    k.add_argument("--columns", type=int, default=8)
    c = sub.add_parser("ceiling")
    c.add_argument("--vae", default="runs/vae/final.pt")
    c.add_argument("--n", type=int, default=16)
    c.add_argument("--seed", type=int, default=123)
    args = ap.parse_args(argv)
    if args.cmd == "prompts":
        with open(args.out, "w") as f:
            json.dump(make_prompts(args.n, args.seed, args.path), f, indent=1)
            f.write("\n")
        return
    if args.cmd == "sheet":
        contact_sheet(args.clips, json.load(open(args.prompts)), args.out, args.columns)
        return
    if args.cmd == "ceiling":
        torch.set_num_threads(1)
        print(json.dumps(ceiling(args.vae, args.n, args.seed), indent=1))
        return
    torch.set_num_threads(args.threads)
    prompts = json.load(open(args.prompts))
    results = {d: score_clips(d, prompts) for d in args.clips}
    print(f"{'clips':40s} {'n':>4s} {'identity':>9s} {'specific':>9s} {'motion':>7s} {'rough':>6s} {'id hit':>7s} {'mo hit':>7s} {'both':>6s}")
    for d, r in results.items():
        print(f"{d:40s} {r['n']:4d} {r['identity']:9.3f} {r['specific']:9.3f} {r['motion']:7.3f} {r['roughness']:6.3f} {r['identity_hit']:7.2f} {r['motion_hit']:7.2f} {r['both_hit']:6.2f}")
    for pair in args.paired:
        a, b = pair.split(":", 1)
        for key in ("identity", "specific", "motion"):
            mean, se, n = paired_difference(results[a], results[b], key)
            print(f"{key:8s} {a} - {b}: {mean:+.3f} ± {se:.3f} (n={n})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
