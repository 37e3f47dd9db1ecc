"""--transformer FILE: the denoiser's weights from one checkpoint file instead of the folder's `transformer/`.

Third-party Wan 2.1 weights (step-distilled, fine-tuned) and Lightricks' own LTX-Video releases are mostly
published as one `.safetensors` in the original layout (Wan's own code and ComfyUI: `blocks.0.self_attn.q`,
often under `model.diffusion_model.`; LTX-Video's single file, which also holds its VAE under `vae.`), not as a
diffusers folder. The folder given with --from still supplies everything else (configs, text encoder, VAE,
tokenizer, scheduler), and `transformer/config.json` the architecture the file must fit. The file's names are
turned into diffusers' by diffusers' own single-file mapping (`convert_wan_transformer_to_diffusers`,
`convert_ltx_transformer_checkpoint_to_diffusers`, as `from_single_file` applies them); a file already in
diffusers' names is taken as it is. Every weight of the transformer must come from the file, with its shape:
a file for another size or model is refused with the names and shapes that differ, before any export.
"""
from __future__ import annotations

import argparse
import os

import torch

from .package import ConversionError, sha256

PREFIXES = ("model.diffusion_model.", "diffusion_model.")
SHOWN = 4  # names listed in a refusal; the count says how many more


def read(path: str) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors: .safetensors, or a torch file holding a flat state dict (loaded weights-only)."""
    if not os.path.isfile(path):
        raise ConversionError(f"--transformer {path}: no such file")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        try:
            return load_file(path)
        except Exception as e:  # the library's message says what is wrong with the file
            raise ConversionError(f"--transformer {path}: not a readable .safetensors file ({e})") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ConversionError(f"--transformer {path}: neither .safetensors nor a torch state dict ({e})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        keys = ", ".join(list(state)[:SHOWN]) if isinstance(state, dict) else type(state).__name__
        raise ConversionError(f"--transformer {path}: holds no flat state dict of tensors (top level: {keys}); "
                              "save the transformer's state dict alone, as .safetensors")
    return state


def to_diffusers(state: dict[str, torch.Tensor], expected: set[str], family: str) -> tuple[dict, str]:
    """(`state` in diffusers' names, the layout it came in: 'diffusers' or 'original')."""
    from diffusers.loaders.single_file_utils import (convert_ltx_transformer_checkpoint_to_diffusers,
                                                     convert_wan_transformer_to_diffusers)

    plain = {}
    for k, v in state.items():
        prefix = next((p for p in PREFIXES if k.startswith(p)), "")
        plain[k.removeprefix(prefix)] = v
    if expected <= plain.keys():
        return {k: v for k, v in plain.items() if k in expected or not k.startswith("vae.")}, "diffusers"
    mapping = {"wan": convert_wan_transformer_to_diffusers, "ltx": convert_ltx_transformer_checkpoint_to_diffusers}[family]
    return mapping(dict(plain)), "original"


def mismatch(state: dict[str, torch.Tensor], model: dict[str, torch.Tensor]) -> str | None:
    """What keeps `state` from being exactly `model`'s weights: missing, unexpected and reshaped names."""
    def listed(names: list[str]) -> str:
        return ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")

    missing = sorted(set(model) - set(state))
    extra = sorted(set(state) - set(model))
    shapes = sorted(k for k in set(state) & set(model) if tuple(state[k].shape) != tuple(model[k].shape))
    problems = []
    if shapes:
        k = shapes[0]
        problems.append(f"{len(shapes)} weights of another shape ({k} is {list(state[k].shape)}, the folder's config "
                        f"makes {list(model[k].shape)}{'; ' + listed(shapes[1:]) + ' too' if len(shapes) > 1 else ''})")
    if missing:
        problems.append(f"{len(missing)} of the transformer's weights missing ({listed(missing)})")
    if extra:
        problems.append(f"{len(extra)} weights the transformer does not have ({listed(extra)})")
    return "; ".join(problems) or None


def load_into(transformer: torch.nn.Module, family: str, path: str) -> dict:
    """Replaces every weight of `transformer` (in place) by the file's; returns what the model card records."""
    model = transformer.state_dict()
    state, layout = to_diffusers(read(path), set(model), family)
    problem = mismatch(state, model)
    if problem:
        raise ConversionError(f"--transformer {path}: it does not fit the transformer of --from's config: {problem}. "
                              "It was made for another model or size; give --from the diffusers folder of that model.")
    transformer.load_state_dict({k: v.to(model[k].dtype) for k, v in state.items()}, strict=True)
    return {"file": os.path.basename(path), "sha256": sha256(path), "layout": layout, "tensors": len(state)}


def add_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transformer", default=None, metavar="FILE",
                   help="the denoiser's weights from one checkpoint file (.safetensors: the original/ComfyUI layout "
                        "or diffusers' names) instead of --from's transformer/, which still gives the architecture; "
                        "for third-party fine-tuned or distilled weights published as one file")


def describe(record: dict) -> str:
    """One line for MODEL_CARD.md."""
    return (f"`{record['file']}` (sha256 {record['sha256'][:16]}…, {record['tensors']} tensors, read in "
            f"{'the original layout' if record['layout'] == 'original' else 'diffusers names'})")
