"""python -m vidlet_convert wan|ltx --from DIR --out PKG [options]"""
from __future__ import annotations

import argparse
import json
import sys

from . import lora_merge, transformer_file
from .onnx_io import SHARD_BYTES
from .text_layers import PART_BYTES
from .package import ConversionError
from .schedule import SAMPLERS, parse_sigmas


COMPONENTS = ("textEncoder", "denoiser", "vaeDecoder", "previewDecoder")


def parse_tiling(text: str) -> tuple[int, int]:
    """argparse type for --vae-tiling TILE,OVERLAP (latent pixels), as src/package/vae-decode.ts requires."""
    try:
        tile, overlap = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not TILE,OVERLAP (two integers, latent pixels), like 32,8")
    if tile < 2 or overlap < 0 or 2 * overlap >= tile:
        raise argparse.ArgumentTypeError(f"{text!r}: TILE must be at least 2 and OVERLAP at least 0 and under half of TILE")
    return tile, overlap


def parse_presets(text: str) -> list[dict]:
    """argparse type for --presets: comma-separated FRAMESxHEIGHTxWIDTH, each optionally NAME=FRAMESxHEIGHTxWIDTH
    (the name defaults to the size); names as src/package/presets.ts PRESET_NAME allows."""
    import re

    out = []
    for item in text.split(","):
        name, _, size = item.strip().rpartition("=")
        m = re.fullmatch(r"(\d+)x(\d+)x(\d+)", size.strip())
        if not m:
            raise argparse.ArgumentTypeError(f"{item!r} is not FRAMESxHEIGHTxWIDTH or NAME=FRAMESxHEIGHTxWIDTH, like 33x240x416")
        name = name.strip() or size.strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}", name):
            raise argparse.ArgumentTypeError(f"preset name {name!r}: 1-40 letters, digits, '.', '_' or '-', starting with a "
                                             "letter or digit")
        out.append({"name": name, "frames": int(m[1]), "height": int(m[2]), "width": int(m[3])})
    names = [p["name"] for p in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise argparse.ArgumentTypeError(f"preset names must be unique; {dup} given twice")
    if len(out) > 16:
        raise argparse.ArgumentTypeError(f"{len(out)} presets; at most 16")
    return out


def add_common(p: argparse.ArgumentParser, *, frames: int, height: int, width: int, fps: int, max_length: int,
               guidance: float, name: str, display_name: str, license: str) -> None:
    """The options every family takes; the defaults are the family's."""
    p.add_argument("--from", dest="src", required=True, help="the checkpoint folder (model_index.json, transformer/, ...)")
    p.add_argument("--out", required=True, help="the package folder to write")
    p.add_argument("--variants", default="fp32,int8,q4", type=lambda s: s.split(","),
                   help="comma-separated, of fp32, fp16, int8, q4; fp32 is always made first (the others are made "
                        "from it)")
    # None: the family's default, or with --presets the first preset (resolve_size)
    p.add_argument("--frames", type=int, default=None, help=f"default {frames}")
    p.add_argument("--height", type=int, default=None, help=f"default {height}")
    p.add_argument("--width", type=int, default=None, help=f"default {width}")
    p.set_defaults(default_size=(frames, height, width))
    p.add_argument("--fps", type=int, default=fps)
    p.add_argument("--max-length", type=int, default=max_length)
    p.add_argument("--steps", type=int, default=None, help="default steps (50); with --sigmas the list's length")
    p.add_argument("--guidance", type=float, default=guidance, help="default CFG scale w; 1 = no CFG (one pass a step)")
    # A distilled checkpoint is sampled on the publisher's fixed list, often with no CFG (and, for
    # consistency-style distillations, the x0-renoise sampler): docs/model-package.md, schedule.sigmas
    transformer_file.add_argument(p)
    lora_merge.add_argument(p)
    p.add_argument("--lora-rank", type=int, default=0, metavar="R",
                   help="give the denoiser LoRA slots of rank R on every block's linear layers (see --lora-targets), "
                        "so adapters load in the page and the CLI; 0 (the default): no slots")
    p.add_argument("--lora-targets", choices=("all", "attention"), default="all",
                   help="which layers of each block the slots hold: 'all' (the default): the attention projections "
                        "(self and cross) and the feed-forward layers, every linear layer musubi-tuner and "
                        "diffusion-pipe train for Wan; 'attention': the projections alone (smaller inputs per step, "
                        "but a LoRA that also changes the feed-forward layers is refused)")
    p.add_argument("--lora-slots", default="identity,motion", type=lambda s: s.split(","), metavar="NAME,...",
                   help="the slots' names (one adapter each at a time; 'identity' and 'motion' pair for DualReal)")
    p.add_argument("--presets", type=parse_presets, default=None, metavar="FxHxW,...",
                   help="clip sizes the package offers (frames x height x width, optionally NAME=FxHxW): the denoiser, "
                        "preview and VAE decoders take any of them, each checked against PyTorch, and the manifest gets "
                        "presets. The default is the one --frames/--height/--width give, else the first")
    p.add_argument("--sigmas", type=parse_sigmas, default=None,
                   help="the publisher's noise levels, highest first, without the final 0 (fixes the step count)")
    # None: the publisher's (wan: "unipc" for a UniPCMultistepScheduler checkpoint, else "euler"; ltx: "euler")
    p.add_argument("--sampler", choices=SAMPLERS, default=None,
                   help="the package's default sampler (default: the publisher's scheduler's, else euler)")
    p.add_argument("--only", default=",".join(COMPONENTS), type=lambda s: s.split(","),
                   help="convert these components only (graphs and convert_report.json, no manifest): e.g. the "
                        "denoiser on one machine and the 5.7 B umT5-XXL text encoder on another")
    p.add_argument("--shard-bytes", type=int, default=SHARD_BYTES, help="largest external-data file")
    p.add_argument("--part-bytes", type=int, default=PART_BYTES,
                   help="a text encoder with more weights is written as parts the engine runs one at a time")
    p.add_argument("--seed", type=int, default=0, help="seeds the check inputs and the preview fit")
    p.add_argument("--name", default=name)
    p.add_argument("--display-name", default=display_name)
    p.add_argument("--license", default=license)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m vidlet_convert")
    sub = ap.add_subparsers(dest="family", required=True)
    # Wan 2.1 1.3B is published for 480p: 81 frames of 832x480 at 16 fps (32,760 video tokens: one
    # attention's scores for a batch of 2 would take 103 GB). The default is a clip a browser can hold:
    # 33 frames of 416x240 (3,510 tokens, 1.2 GB of scores); umT5 prompts of 512 tokens, 50 steps,
    # CFG 5, flow shift 3 (the shift is read from scheduler_config.json when it says one)
    wan = sub.add_parser("wan", help="Wan 2.1 T2V (WanPipeline) in the diffusers layout")
    add_common(wan, frames=33, height=240, width=416, fps=16, max_length=512, guidance=5.0, name="wan21-t2v-1-3b",
               display_name="Wan 2.1 T2V 1.3B", license="Apache-2.0 (Wan 2.1 weights by Wan-AI / Alibaba)")
    wan.add_argument("--vae-tiling", type=parse_tiling, default=None, metavar="TILE,OVERLAP",
                     help="export the VAE decoders with dynamic height and width and write manifest vaeTiling: "
                          "tiles of TILE latent pixels overlapping by OVERLAP (diffusers' Wan default: 32,8)")
    # LTX-Video 2B's pipeline defaults are 161 frames of 704x512 at 25 fps (5,632 tokens; 32 heads: 8 GB
    # of scores for a batch of 2). The default here: 49 frames of 640x384 (1,680 tokens, 0.72 GB), T5
    # prompts of 128 tokens (the pipeline's max_sequence_length), 50 steps, CFG 3 (the pipeline's)
    ltx = sub.add_parser("ltx", help="LTX-Video 2B (LTXPipeline or LTXConditionPipeline) in the diffusers layout")
    add_common(ltx, frames=49, height=384, width=640, fps=25, max_length=128, guidance=3.0, name="ltx-video-2b",
               display_name="LTX-Video 2B",
               license="LTX-Video 2B weights by Lightricks: the licence file published with the checkpoint applies "
                       "(0.9.5: OpenRAIL-M with use restrictions); see convert/README.md")
    # 0.9.1+ VAEs are timestep-conditioned: the pipeline decodes at `decode_timestep` (default 0; the
    # publisher recommends 0.03-0.05) after mixing `decode_noise_scale` of fresh noise into the latent
    # (default: equal to the decode timestep). The scale is baked in; the noise is the graph's
    # `decode_noise` input, which the engine seeds per clip (none when the scale is 0).
    ltx.add_argument("--decode-timestep", type=float, default=0.0,
                     help="the VAE's decode timestep (timestep-conditioned VAEs only), baked into the graph")
    ltx.add_argument("--decode-noise-scale", type=float, default=None, metavar="S",
                     help="mix S of the engine's seeded noise into the latent before decoding, (1-S)*z + S*noise, "
                          "as LTXPipeline's decode_noise_scale (timestep-conditioned VAEs only); default: the decode "
                          "timestep, as the pipeline; 0: no noise input")
    args = ap.parse_args(argv)
    resolve_size(ap, args)
    if "fp32" not in args.variants:
        ap.error("--variants must include fp32 (the other variants are made from it)")
    args.variants = ["fp32"] + [v for v in args.variants if v != "fp32"]
    unknown = set(args.variants) - {"fp32", "fp16", "int8", "q4"}
    if unknown:
        ap.error(f"--variants: {sorted(unknown)} not supported (fp32, fp16, int8, q4)")
    if args.sigmas is not None and args.steps not in (None, len(args.sigmas)):
        ap.error(f"--steps {args.steps}: --sigmas lists {len(args.sigmas)} noise levels, which fixes the step count; "
                 "leave --steps out")
    if args.sigmas is None and args.steps is None:
        args.steps = 50
    if not 1 <= args.guidance <= 30:  # src/package/request.ts GUIDANCE, which the engine checks the default against
        ap.error(f"--guidance must be a number from 1 to 30 (1 = no CFG), got {args.guidance:g}")
    if args.lora_rank < 0:
        ap.error(f"--lora-rank must be 0 (no slots) or a positive rank, got {args.lora_rank}")
    if args.lora_rank and (not all(args.lora_slots) or len(set(args.lora_slots)) != len(args.lora_slots)):
        ap.error(f"--lora-slots: names must be non-empty and unique, got {','.join(args.lora_slots)}")
    bad = set(args.only) - set(COMPONENTS)
    if bad:
        ap.error(f"--only: unknown components {sorted(bad)}")
    return args


def resolve_size(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """args.frames/height/width: as given, else the family's default; with --presets, the default preset's
    (the one --frames/--height/--width name when any is given, else the first), and args.default_preset its name."""
    given = [getattr(args, k) for k in ("frames", "height", "width")]
    presets = getattr(args, "presets", None)
    if presets and any(g is not None for g in given):
        size = [g if g is not None else d for g, d in zip(given, args.default_size)]
        match = [p for p in presets if [p["frames"], p["height"], p["width"]] == size]
        if not match:
            ap.error(f"--frames/--height/--width give {'x'.join(map(str, size))}, which is none of --presets "
                     f"({', '.join(p['name'] for p in presets)}); the default size must be one of the presets")
        default = match[0]
    elif presets:
        default = presets[0]
    else:
        default = None
    if default:
        args.frames, args.height, args.width = default["frames"], default["height"], default["width"]
        args.default_preset = default["name"]
    else:
        args.frames, args.height, args.width = (g if g is not None else d for g, d in zip(given, args.default_size))
        args.default_preset = None


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.family == "ltx":
        from .ltx import convert
    else:
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
