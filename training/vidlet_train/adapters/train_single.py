"""Train one adapter on its own (plain LoRA, constant strength 1) and export it.

    cd training && .venv/bin/python -m vidlet_train.adapters.train_single \\
        --kind identity --name pip-solo --out runs/adapters-solo --steps 1000 --batch 8 --seed 6

These are the baseline DualReal is measured against: an identity and a motion adapter trained
separately and then loaded together at constant strength ("naive fusion"). Same data, rank,
alpha and learning rate as the joint run (vidlet_train.adapters.train), and the same number of
updates per adapter (the joint run gives each set about half of its steps).
Writes <out>/<name>.safetensors, <name>.json and <name>.entry.json (its manifest entry).
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from functools import partial
from pathlib import Path

import torch

from .checkpoint import load_base_model
from .data import IDENTITY_TRIGGER, MOTION_TRIGGERS, identity_batch, motion_batch
from .single import SingleConfig, export_single, train_single


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["identity", "motion"], required=True)
    ap.add_argument("--name", required=True, help="adapter name ([a-z0-9-])")
    ap.add_argument("--path", choices=["figure-eight", "zigzag"], default="figure-eight", help="motion path")
    ap.add_argument("--dit")
    ap.add_argument("--vae")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, type=Path)
    d = SingleConfig()
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--batch", type=int, default=d.batch)
    ap.add_argument("--rank", type=int, default=d.rank)
    ap.add_argument("--alpha", type=float, default=d.alpha)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--pool", type=int, default=d.pool, help="encode this many clips once and draw batches from them (0: a fresh clip every time)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    base = load_base_model(args.dit, args.vae)
    cfg = SingleConfig(steps=args.steps, batch=args.batch, rank=args.rank, alpha=args.alpha, lr=args.lr, seed=args.seed, pool=args.pool)
    if args.kind == "identity":
        batches, triggers = identity_batch, [IDENTITY_TRIGGER]
    else:
        batches, triggers = partial(motion_batch, path=args.path), [MOTION_TRIGGERS[args.path]]
    inj, losses, wall = train_single(base, batches, cfg)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "vidlet_train.adapters.train_single", *(argv or sys.argv[1:])])
    entry = export_single(inj, base, args.out, args.name, args.kind, triggers, cfg, losses, wall, command=command)
    (args.out / f"{args.name}.entry.json").write_text(json.dumps(entry, indent=2) + "\n")
    print(f"wrote {args.out}/{args.name}.* in {wall:.0f} s; final loss {losses[-1]:.4f}")


if __name__ == "__main__":
    main()
