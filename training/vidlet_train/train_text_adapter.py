"""Learn a text adapter (text_adapter.py) in front of a frozen DiT, on captions written many ways.

python -m vidlet_train.train_text_adapter --base checkpoints/dit-ow4-16000.pt --data runs/data4b \\
    --out runs/ta --steps 3000 --seed 5
Only the adapter's weights move; the base DiT's stay exactly as loaded, so the flow-matching loss
can only be lowered by what the DiT is told, not by how it draws. The data's captions are the rich
caption generator's (world/captions.py: templates and free wordings, training-only synonyms; the
held-out paraphrase words never appear). Resumable like train_dit (rerun the same command).
"""
from __future__ import annotations

import argparse

import torch

from .dataset import load_shards
from .dit import DiTConfig, VideoDiT
from .runtime import pick_device, use_bf16
from .train_dit import add_run_args, fit, flow_matching_loss, load_compact, sample_batch


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=None, help="the frozen DiT (compact or final checkpoint); read for a fresh run")
    ap.add_argument("--data", default="runs/data")
    ap.add_argument("--hidden", type=int, default=768, help="the adapter MLP's hidden width")
    # A fresh block on a frozen model: a full learning rate, a short warm-up.
    add_run_args(ap, steps=3000, lr=5e-4, warmup=100)
    return ap.parse_args(argv)


def start_weights(base: dict, hidden: int) -> tuple[DiTConfig, dict]:
    """The base DiT's weights plus a fresh (identity) adapter: what step 0 of a run loads."""
    cfg = DiTConfig(**{**base["cfg"], "text_adapter": hidden})
    fresh = VideoDiT(cfg).state_dict()
    missing = [k for k in fresh if k not in base["ema"] and not k.startswith("text_adapter.")]
    if missing:
        raise SystemExit(f"the base checkpoint lacks {missing[:3]}…: not a DiT of this code")
    return cfg, {**fresh, **{k: v for k, v in base["ema"].items() if not k.startswith("text_adapter.")}}


def main(argv=None):
    args = parse_args(argv)
    if args.warm_from:
        raise SystemExit("--warm-from does not apply here: rerun the same command to resume, or give --base")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    if args.base is None:
        raise SystemExit("give --base (the DiT the adapter is learnt for)")
    cfg, weights = start_weights(load_compact(args.base), args.hidden)
    data = load_shards(args.data, args.limit_clips)
    if tuple(data["latent"].shape[1:]) != (cfg.latent_channels, cfg.frames, cfg.height, cfg.width):
        raise SystemExit(f"{args.base} takes {cfg.latent_channels}x{cfg.frames}x{cfg.height}x{cfg.width} latents; "
                         f"{args.data} holds {tuple(data['latent'].shape[1:])}")
    fit(args, cfg, device, bf16, lambda gen: sample_batch(data, args.batch, gen, device),
        lambda model, batch, gen: flow_matching_loss(model, batch, gen, object_weight=args.object_weight),
        dict(clips=len(data["latent"]), base=args.base),
        start=dict(ema=weights), trainable=lambda name: name.startswith("text_adapter."))


if __name__ == "__main__":
    main()
