"""--merge-lora PATH[:SCALE]: LoRA files baked into the transformer's weights before export.

For an adapter that is always on (a step-distillation LoRA such as a few-step Wan LoRA, or a house style), merging
is exact and costs nothing at run time, and it covers every layer the file touches — also those the package's
LoRA slots cannot hold (lora_slots.py holds the blocks' linear layers; not norms, biases or embedders). The file is read and applied by diffusers itself, as `pipe.load_lora_weights(PATH)` with
`set_adapters(..., SCALE)` would apply it: the pipeline class's `lora_state_dict` turns the other trainers'
layouts into diffusers' (Wan: the original / ComfyUI `diffusion_model.` names and musubi-tuner's `lora_unet_`
names; LTX: its original names), PEFT loads it, `fuse_lora` adds SCALE·(alpha/r)·B·A to each weight and
`unload_lora` leaves plain layers. A file with a layer the transformer does not have is refused rather than
partly merged.
"""
from __future__ import annotations

import argparse
import os

from .package import ConversionError, sha256

SUFFIXES = (".lora_A.weight", ".lora_B.weight", ".lora_A.bias", ".lora_B.bias")


def parse_merge(text: str) -> tuple[str, float]:
    """argparse type for --merge-lora: PATH or PATH:SCALE (the scale defaults to 1)."""
    path, sep, tail = text.rpartition(":")
    if sep:
        try:
            return path, float(tail)
        except ValueError:
            pass  # a ':' inside the path
    return text, 1.0


def merge(transformer, pipeline_class, specs: list[tuple[str, float]]) -> list[dict]:
    """Merges each (path, scale) into `transformer` in place; returns what the model card records of each."""
    if not specs:
        return []
    names, done = [], []
    for i, (path, scale) in enumerate(specs):
        if not os.path.isfile(path):
            raise ConversionError(f"--merge-lora {path}: no such file")
        try:
            state = pipeline_class.lora_state_dict(path)
        except Exception as e:  # diffusers' own message names what it could not read
            raise ConversionError(f"--merge-lora {path}: diffusers cannot read it as a LoRA ({e})") from None
        layers = sorted({k.removeprefix("transformer.").removesuffix(s) for k in state for s in SUFFIXES if k.endswith(s)})
        missing = [name for name in layers if not has_module(transformer, name)]
        if not layers or missing:
            what = f"layers this transformer does not have: {', '.join(missing[:6])}{' …' if len(missing) > 6 else ''}" \
                if missing else "no LoRA layers"
            raise ConversionError(f"--merge-lora {path}: it holds {what}; it was made for another model")
        name = f"merged{i}"
        transformer.load_lora_adapter(state, adapter_name=name, prefix="transformer")
        names.append(name)
        done.append({"file": os.path.basename(path), "sha256": sha256(path), "scale": scale, "layers": len(layers)})
    transformer.set_adapters(names, [scale for _, scale in specs])
    transformer.fuse_lora(adapter_names=names)
    transformer.unload_lora()
    return done


def has_module(root, name: str) -> bool:
    try:
        root.get_submodule(name)
        return True
    except AttributeError:
        return False


def add_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--merge-lora", type=parse_merge, action="append", default=[], metavar="PATH[:SCALE]",
                   help="merge a LoRA file into the denoiser's weights before export (repeatable; SCALE default 1), "
                        "read as diffusers' load_lora_weights reads it")


def describe(done: list[dict]) -> str:
    """One line for MODEL_CARD.md."""
    return "; ".join(f"`{d['file']}` (sha256 {d['sha256'][:16]}…, {d['layers']} layers) at scale {d['scale']:g}"
                     for d in done)
