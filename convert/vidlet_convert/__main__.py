"""python -m vidlet_convert wan --from DIR --out PKG [options]"""
from __future__ import annotations

import argparse
import json
import sys

from .onnx_io import SHARD_BYTES
from .package import ConversionError
from .schedule import SAMPLERS, parse_sigmas


def parse_tiling(text: str) -> tuple[int, int]:
    """argparse type for --vae-tiling TILE,OVERLAP (latent pixels), as src/package/vae-decode.ts requires."""
    try:
        tile, overlap = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not TILE,OVERLAP (two integers, latent pixels), like 32,8")
    if tile < 2 or overlap < 0 or 2 * overlap >= tile:
        raise argparse.ArgumentTypeError(f"{text!r}: TILE must be at least 2 and OVERLAP at least 0 and under half of TILE")
    return tile, overlap


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m vidlet_convert")
    sub = ap.add_subparsers(dest="family", required=True)
    wan = sub.add_parser("wan", help="Wan 2.1 T2V (WanPipeline) in the diffusers layout")
    wan.add_argument("--from", dest="src", required=True, help="the checkpoint folder (model_index.json, transformer/, ...)")
    wan.add_argument("--out", required=True, help="the package folder to write")
    wan.add_argument("--variants", default="fp32,int8,q4", type=lambda s: s.split(","),
                     help="comma-separated; fp32 is always made first (int8 is quantized from it)")
    # Wan 2.1 1.3B is published for 480p: 81 frames of 832x480 at 16 fps (32,760 video tokens: one
    # attention's scores for a batch of 2 would take 103 GB). The default is a clip a browser can hold:
    # 33 frames of 416x240 (3,510 tokens, 1.2 GB of scores); umT5 prompts of 512 tokens, 50 steps,
    # CFG 5, flow shift 3 (the shift is read from scheduler_config.json when it says one)
    wan.add_argument("--frames", type=int, default=33)
    wan.add_argument("--height", type=int, default=240)
    wan.add_argument("--width", type=int, default=416)
    wan.add_argument("--fps", type=int, default=16)
    wan.add_argument("--max-length", type=int, default=512)
    wan.add_argument("--steps", type=int, default=None, help="default steps (50); with --sigmas the list's length")
    wan.add_argument("--guidance", type=float, default=5.0, help="default CFG scale w; 1 = no CFG (one pass a step)")
    # A distilled checkpoint (e.g. a 4-step Wan 2.1 distillation) is sampled on the publisher's fixed list,
    # often with the consistency-style x0-renoise sampler and no CFG: --sigmas 1,0.9375,0.8333,0.625
    # --sampler x0-renoise --guidance 1 (docs/model-package.md, schedule.sigmas)
    wan.add_argument("--sigmas", type=parse_sigmas, default=None,
                     help="the publisher's noise levels, highest first, without the final 0 (fixes the step count)")
    wan.add_argument("--sampler", choices=SAMPLERS, default="euler", help="the package's default sampler")
    wan.add_argument("--only", default="textEncoder,denoiser,vaeDecoder,previewDecoder", type=lambda s: s.split(","),
                     help="convert these components only (graphs and convert_report.json, no manifest): e.g. the "
                          "denoiser on one machine and the 22.7 GB umT5-XXL text encoder on a larger one")
    wan.add_argument("--vae-tiling", type=parse_tiling, default=None, metavar="TILE,OVERLAP",
                     help="export the VAE decoders with dynamic height and width and write manifest vaeTiling: "
                          "tiles of TILE latent pixels overlapping by OVERLAP (diffusers' Wan default: 32,8)")
    wan.add_argument("--shard-bytes", type=int, default=SHARD_BYTES, help="largest external-data file")
    wan.add_argument("--seed", type=int, default=0, help="seeds the check inputs and the preview fit")
    wan.add_argument("--name", default="wan21-t2v-1-3b")
    wan.add_argument("--display-name", default="Wan 2.1 T2V 1.3B")
    wan.add_argument("--license", default="Apache-2.0 (Wan 2.1 weights by Wan-AI / Alibaba)")
    args = ap.parse_args(argv)
    if "fp32" not in args.variants:
        ap.error("--variants must include fp32 (the other variants are made from it)")
    args.variants = ["fp32"] + [v for v in args.variants if v != "fp32"]
    unknown = set(args.variants) - {"fp32", "int8", "q4"}
    if unknown:
        ap.error(f"--variants: {sorted(unknown)} not supported yet (fp32, int8, q4)")
    if args.sigmas is not None and args.steps not in (None, len(args.sigmas)):
        ap.error(f"--steps {args.steps}: --sigmas lists {len(args.sigmas)} noise levels, which fixes the step count; "
                 "leave --steps out")
    if args.sigmas is None and args.steps is None:
        args.steps = 50
    if not 1 <= args.guidance <= 30:  # src/package/request.ts GUIDANCE, which the engine checks the default against
        ap.error(f"--guidance must be a number from 1 to 30 (1 = no CFG), got {args.guidance:g}")
    bad = set(args.only) - {"textEncoder", "denoiser", "vaeDecoder", "previewDecoder"}
    if bad:
        ap.error(f"--only: unknown components {sorted(bad)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from .wan import convert

    try:
        report = convert(args)
    except ConversionError as e:
        print(f"vidlet_convert: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
