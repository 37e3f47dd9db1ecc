"""Writes adapters and StageBlender tables in the formats the engine reads (docs/adapter-format.md).

* ``<name>.safetensors``: ``blocks.{d}.{target}.lora_A.weight`` [r, C] and ``...lora_B.weight``
  [C, r] in float32, ``__metadata__`` with ``format``, ``rank``, ``alpha``, ``base_model``,
  ``kind`` and ``name`` (all strings, as the safetensors format requires). B is stored *without*
  the alpha/r factor: the engine multiplies it in when it fills a LoRA slot, exactly like PEFT.
* ``<name>.json``: the description (kind, trigger words, recommended strength, base model, how it
  was trained).
* ``<identity>+<motion>.blender.json``: the StageBlender evaluated on a grid of timesteps.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

ADAPTER_FORMAT = "vidlet-adapter"
LORA_FORMAT = "vidlet-lora"
BLENDER_FORMAT = "vidlet-stage-blender"
FORMAT_VERSION = 1
KINDS = ("identity", "motion", "style")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_LAYER = re.compile(r"^blocks\.(0|[1-9][0-9]*)\.(.+)\.lora_(A|B)\.weight$")


_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path: Path, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str]) -> None:
    """A .safetensors file with reproducible bytes: tensors and metadata keys sorted, header padded
    with spaces to a multiple of 8 as the reference writer does (so float32 data is aligned and
    the engine reads it without copying). safetensors.torch.save_file orders __metadata__ keys
    differently from run to run, which would change the sha256 in the manifest on every export."""
    header: Dict[str, Any] = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} is not one of {list(_DTYPES)}")
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for c in chunks:
            f.write(c)


def check_adapter_tensors(tensors: Dict[str, torch.Tensor], rank: int, width: int) -> None:
    """The checks the engine makes (src/engine/adapters/adapter.ts), so a bad export fails here first."""
    for name, t in tensors.items():
        m = _LAYER.match(name)
        if not m:
            raise ValueError(f"{name} is not blocks.<d>.<target>.lora_<A|B>.weight")
        expected = (rank, width) if m.group(3) == "A" else (width, rank)
        if tuple(t.shape) != expected:
            raise ValueError(f"{name} has shape {list(t.shape)}, expected {list(expected)}")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} holds non-finite values")
        pair = name[: -len("lora_A.weight")] + ("lora_B.weight" if m.group(3) == "A" else "lora_A.weight")
        if pair not in tensors:
            raise ValueError(f"{name} has no partner {pair}")


def export_adapter(
    out_dir: Path,
    name: str,
    kind: str,
    tensors: Dict[str, torch.Tensor],
    rank: int,
    alpha: float,
    base_model: str,
    trigger_words: Sequence[str],
    recommended_strength: float = 1.0,
    display_name: Optional[str] = None,
    description: Optional[str] = None,
    training: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Writes <name>.safetensors + <name>.json; returns the manifest `adapters` entry for them."""
    if not _NAME.match(name):
        raise ValueError(f"adapter name {name!r} must be 1-64 characters of a-z, 0-9 and '-'")
    if kind not in KINDS:
        raise ValueError(f"adapter kind {kind!r} must be one of {KINDS}")
    if not tensors:
        raise ValueError("an adapter needs at least one LoRA layer")
    width = next(iter(tensors.values())).shape[1 if next(iter(tensors)).endswith("lora_A.weight") else 0]
    check_adapter_tensors(tensors, rank, width)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_path = out_dir / f"{name}.safetensors"
    metadata = {
        "format": LORA_FORMAT,
        "rank": str(rank),
        "alpha": repr(float(alpha)),
        "base_model": base_model,
        "kind": kind,
        "name": name,
    }
    write_safetensors(weights_path, {k: v.detach().float() for k, v in tensors.items()}, metadata)
    desc: Dict[str, Any] = {
        "format": ADAPTER_FORMAT,
        "formatVersion": FORMAT_VERSION,
        "name": name,
        "kind": kind,
        "baseModel": base_model,
        "triggerWords": list(trigger_words),
        "recommendedStrength": float(recommended_strength),
    }
    if display_name:
        desc["displayName"] = display_name
    if description:
        desc["description"] = description
    if training:
        desc["training"] = training
    desc_path = out_dir / f"{name}.json"
    desc_path.write_text(json.dumps(desc, indent=2) + "\n")
    data = weights_path.read_bytes()
    return {
        "name": name,
        "kind": kind,
        "file": weights_path.name,
        "description": desc_path.name,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def export_blender_table(
    path: Path,
    base_model: str,
    identity: str,
    motion: str,
    c: float,
    depth: int,
    groups: List[List[int]],
    timesteps: Sequence[float],
    alpha: torch.Tensor,
) -> Dict[str, Any]:
    """Writes the table JSON (alpha [N timesteps, G groups]); returns the manifest `blender` entry."""
    alpha = alpha.detach().double().cpu()
    if tuple(alpha.shape) != (len(timesteps), len(groups)):
        raise ValueError(f"alpha has shape {list(alpha.shape)}, expected [{len(timesteps)}, {len(groups)}]")
    if sorted(b for g in groups for b in g) != list(range(depth)):
        raise ValueError(f"groups {groups} do not partition blocks 0..{depth - 1}")
    if any(b <= a for a, b in zip(timesteps, timesteps[1:])) or timesteps[0] < 0 or timesteps[-1] > 1:
        raise ValueError("timesteps must ascend strictly within [0, 1]")
    table = {
        "format": BLENDER_FORMAT,
        "formatVersion": FORMAT_VERSION,
        "baseModel": base_model,
        "identity": identity,
        "motion": motion,
        "c": float(c),
        "depth": depth,
        "groups": groups,
        "timesteps": [float(t) for t in timesteps],
        "alpha": [[float(v) for v in row] for row in alpha.tolist()],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(table, indent=1) + "\n"
    path.write_text(text)
    data = text.encode()
    return {"file": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
