"""VideoAlign's Flow-DPO on the page's votes: a LoRA adapter that moves the model toward the takes
people preferred, on the frozen base (reference = the base without the adapter).

    cd training && .venv/bin/python -m vidlet_train.recover --package ../public/models/vidlet-tiny --out runs/prev
    .venv/bin/python -m vidlet_train.reward.flow_dpo --votes votes.jsonl --package ../public/models/vidlet-tiny \\
        --dit runs/prev/dit/final.pt --vae runs/prev/vae/final.pt --out runs/flow-dpo --dimension overall --steps 300
    .venv/bin/python -m vidlet_train.adapters.install --entries runs/flow-dpo/flow-dpo.entry.json --package ../public/models/vidlet-tiny

Each decisive vote's two takes are made again by the page's own engine (reward/regenerate.py) and
encoded by the VAE; ties and votes not voted on the dimension are dropped. See reward/README.md.
"""
from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Callable, List, Tuple

import torch

from . import regenerate
from .flow_dpo_loss import PAPER_BETA
from .flow_dpo_train import DpoConfig, LatentPair, export_flow_dpo, train_flow_dpo
from .votes import check_model, decisive_pairs, parse_votes_jsonl

# (settings, variant, package, work dir, name) -> (clip, motion as RGB), each [3, T, H, W] in [-1, 1]
MakeTake = Callable[..., Tuple[torch.Tensor, torch.Tensor]]


def read_votes(path: Path, package: Path, log=print):
    votes, problems = parse_votes_jsonl(Path(path).read_text())
    for p in problems:
        log(f"{path}:{p.line}: skipped: {p.message}")
    check_model(votes, package)
    return votes


def latent_pairs(base, votes, dimension: str, package: Path, work: Path, make_take: MakeTake = regenerate.make_take, log=print) -> List[LatentPair]:
    pairs = []
    decisive = decisive_pairs(votes, dimension)
    log(f"{len(decisive)} of {len(votes)} votes are decisive on {dimension} (ties and unvoted dropped)")
    for vote, winner in decisive:
        takes = {}
        for side in ("a", "b"):
            take = getattr(vote, side)
            regenerate.check_adapters(take, package)
            clip, motion = make_take(take.settings, vote.variant, package, work, f"{vote.id}-{side}")
            x0 = base.encode_video(clip.unsqueeze(0))[0]
            d0 = base.encode_video(motion.unsqueeze(0))[0] if base.flow_to_rgb is not None else None
            takes[side] = (x0, d0)
        (xw, dw), (xl, dl) = takes[winner], takes["b" if winner == "a" else "a"]
        pairs.append(LatentPair(xw, dw, xl, dl, vote.prompt))
    return pairs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--votes", type=Path, required=True, help="votes exported from the page (JSONL)")
    ap.add_argument("--package", type=Path, required=True, help="the model package the votes were made with")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--name", default="flow-dpo", help="adapter name ([a-z0-9-])")
    ap.add_argument("--dimension", choices=["overall", "vq", "mq", "ta"], default="overall")
    ap.add_argument("--dit", help="PyTorch DiT checkpoint (from vidlet_train.recover)")
    ap.add_argument("--vae", help="PyTorch VAE checkpoint (from vidlet_train.recover)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--take-cache", type=Path, help="a folder of takes already made (scripted_votes --take-cache): "
                                                     "a take found there by its key is read, not made again")
    d = DpoConfig()
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--batch", type=int, default=d.batch)
    ap.add_argument("--rank", type=int, default=d.rank)
    ap.add_argument("--alpha", type=float, default=d.alpha)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--beta", type=float, default=d.beta, help=f"constant over t; the paper's is {PAPER_BETA:g}")
    ap.add_argument("--seed", type=int, default=d.seed)
    args = ap.parse_args(argv)

    from ..adapters.checkpoint import load_base_model

    torch.set_num_threads(args.threads)
    try:
        votes = read_votes(args.votes, args.package)
    except ValueError as e:
        sys.exit(str(e))
    name = json.loads((args.package / "manifest.json").read_text())["name"]
    base = load_base_model(args.dit, args.vae, name=name)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as work:
        make = regenerate.make_take if args.take_cache is None else functools.partial(regenerate.make_take, cache=args.take_cache)
        pairs = latent_pairs(base, votes, args.dimension, args.package, Path(work), make_take=make)
    cfg = DpoConfig(steps=args.steps, batch=args.batch, rank=args.rank, alpha=args.alpha, lr=args.lr, beta=args.beta, seed=args.seed)
    inj, losses, wall = train_flow_dpo(base, pairs, cfg)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "vidlet_train.reward.flow_dpo", *(argv or sys.argv[1:])])
    export_flow_dpo(inj, base, args.out, args.name, cfg, losses, wall, len(pairs), args.dimension, command)
    print(f"wrote {args.out}/{args.name}.* in {wall:.0f} s; final loss {losses[-1]:.4f}. Install it with:\n"
          f"  python -m vidlet_train.adapters.install --entries {args.out}/{args.name}.entry.json --package {args.package}")


if __name__ == "__main__":
    main()
