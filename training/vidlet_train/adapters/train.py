"""Train the DualReal identity + motion adapters on the base model and export them.

    cd training && .venv/bin/python -m vidlet_train.adapters.train \\
        --dit runs/dit/final.pt --vae runs/vae/final.pt --out runs/adapters --steps 2000 --batch 8

Writes <out>/pip.safetensors, pip.json, figure-eight.safetensors, figure-eight.json,
pip+figure-eight.blender.json and manifest-entries.json (the `adapters` and `blender` entries
for the model package's manifest, with bytes and sha256). The command line, seed, steps and wall
time are recorded in each description's `training` field for the model card.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

from .checkpoint import load_base_model
from .dualreal import DualRealConfig, export_dualreal, train_dualreal


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dit", help="DiT checkpoint (default: $VIDLET_DIT_CHECKPOINT, then runs/dit/final.pt)")
    ap.add_argument("--vae", help="VAE checkpoint (default: $VIDLET_VAE_CHECKPOINT, then runs/vae/final.pt)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, type=Path)
    d = DualRealConfig()
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--batch", type=int, default=d.batch)
    ap.add_argument("--rank", type=int, default=d.rank, help="must be <= the manifest's lora.rank")
    ap.add_argument("--alpha", type=float, default=d.alpha)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--blender-lr", type=float, default=d.blender_lr)
    ap.add_argument("--groups", type=int, default=d.groups, help="StageBlender block groups")
    ap.add_argument("--c", type=float, default=d.c)
    ap.add_argument("--identity-ratio", type=float, default=d.identity_ratio)
    ap.add_argument("--path", choices=["figure-eight", "zigzag"], default=d.motion_path)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--pool", type=int, default=d.pool, help="encode this many clips of each kind once and draw batches from them (0: fresh clips)")
    ap.add_argument("--alone", type=float, default=d.alone,
                    help="share of samples trained with the other adapter off, so each adapter also works by itself (0 = plain DualReal)")
    ap.add_argument("--identity-from", help="train only the StageBlender, over this identity adapter (.safetensors, kept frozen)")
    ap.add_argument("--motion-from", help="… and this motion adapter (both or neither)")
    ap.add_argument("--blender-text", action="store_true", help="feed the pooled caption to the StageBlender as well (see DualRealConfig)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    base = load_base_model(args.dit, args.vae)
    cfg = DualRealConfig(
        steps=args.steps, batch=args.batch, rank=args.rank, alpha=args.alpha, lr=args.lr, blender_lr=args.blender_lr, groups=args.groups,
        c=args.c, identity_ratio=args.identity_ratio, motion_path=args.path, seed=args.seed,
        blender_text=args.blender_text, alone=args.alone, identity_from=args.identity_from, motion_from=args.motion_from, pool=args.pool,
    )
    result = train_dualreal(base, cfg)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "vidlet_train.adapters.train", *(argv or sys.argv[1:])])
    motion_name = "figure-eight" if args.path == "figure-eight" else "zigzag"
    entries = export_dualreal(result, base, args.out, motion_name=motion_name, command=command)
    (args.out / "manifest-entries.json").write_text(json.dumps(entries, indent=2) + "\n")
    print(f"wrote {args.out} in {result.wall_seconds:.0f} s; final loss {result.history[-1]['loss']:.4f}")


if __name__ == "__main__":
    main()
