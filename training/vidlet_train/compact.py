"""A VAE run's checkpoint as fp16 weights (~6 MB), or a DiT run's exact-resume checkpoint (runs/<run>/ckpt.pt, ~44 MB with the optimizer) as a compact
copy worth committing (~11 MB): model and EMA weights in fp16, config, step and wall time.
`train_dit --warm-from` continues its schedule from it (fresh optimizer); export takes its EMA.

    python -m vidlet_train.compact runs/dit-ow4/ckpt.pt checkpoints/dit-ow4-4500.pt
"""
from __future__ import annotations

import argparse

import torch


def compact(ck: dict) -> dict:
    half = lambda d: {k: (v.half() if v.is_floating_point() else v) for k, v in d.items()}
    if "vae" in ck:  # a train_vae checkpoint: `train_vae --warm-from` and `load_vae` take this form
        # the latent scaling stays fp32: the DiT's data was made with it
        vae = {k: (v if k in ("shift", "scale") else v.half() if v.is_floating_point() else v) for k, v in ck["vae"].items()}
        return dict(vae=vae, preview=half(ck["preview"]), cfg=ck["cfg"], step=ck["step"], wall=ck["wall"])
    return dict(ema=half(ck["ema"]), model=half(ck["model"]), cfg=ck["cfg"], step=ck["step"], wall=ck["wall"])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="a train_dit or train_vae ckpt.pt (or a VAE final.pt)")
    ap.add_argument("dst")
    args = ap.parse_args(argv)
    ck = torch.load(args.src, map_location="cpu", weights_only=False)
    out = compact(ck)
    torch.save(out, args.dst)
    print(f"{args.dst}: step {out['step']}, wall {out['wall']:.0f} s")


if __name__ == "__main__":
    main()
