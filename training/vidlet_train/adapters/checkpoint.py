"""Builds a `BaseModel` (base.py) from the base model's files: the DiT checkpoint written by
vidlet_train.train_dit, the VAE checkpoint written by vidlet_train.train_vae, and the frozen
text encoder. The only module here that knows that layout.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import torch

from .base import BaseModel
from .data import VideoSize

TRAINING = Path(__file__).resolve().parents[2]
REPO = TRAINING.parent
DEFAULT_DIT = TRAINING / "runs" / "dit" / "final.pt"
DEFAULT_VAE = TRAINING / "runs" / "vae" / "final.pt"
DEFAULT_MANIFEST = REPO / "public" / "models" / "vidlet-tiny" / "manifest.json"


class BaseModelUnavailable(RuntimeError):
    """The base model's checkpoints are not there (yet)."""


def load_dit(path: Path):
    from ..dit import DiTConfig, VideoDiT

    ck = torch.load(str(path), map_location="cpu")
    cfg = DiTConfig(**ck["cfg"])
    dit = VideoDiT(cfg)
    # final.pt holds only the EMA weights (what is exported); ckpt.pt holds model + ema.
    dit.load_state_dict(ck["ema"])
    return dit.eval().requires_grad_(False)


def load_base_model(
    dit_checkpoint: Optional[str] = None,
    vae_checkpoint: Optional[str] = None,
    name: Optional[str] = None,
) -> BaseModel:
    """The DiT (EMA weights), VAE encoder and text encoder, frozen, wrapped as a BaseModel.

    Paths default to $VIDLET_DIT_CHECKPOINT / $VIDLET_VAE_CHECKPOINT, then training/runs/…/final.pt;
    the model name to the embedded package's manifest (adapters must name the model they fit).
    """
    dit_path = Path(dit_checkpoint or os.environ.get("VIDLET_DIT_CHECKPOINT") or DEFAULT_DIT)
    vae_path = Path(vae_checkpoint or os.environ.get("VIDLET_VAE_CHECKPOINT") or DEFAULT_VAE)
    for what, path in (("DiT", dit_path), ("VAE", vae_path)):
        if not path.exists():
            raise BaseModelUnavailable(
                f"no {what} checkpoint at {path}: train the base model first (TRAINING.md) or set "
                f"VIDLET_{what.upper()}_CHECKPOINT"
            )
    from ..vae import load_vae
    from ..dit import timestep_embedding
    from ..text_encoder import MiniLM, Tokenizer
    from ..world import flow_to_rgb

    dit = load_dit(dit_path)
    vae = load_vae(str(vae_path))
    cfg = dit.cfg
    if name is None:
        name = json.loads(DEFAULT_MANIFEST.read_text())["name"] if DEFAULT_MANIFEST.exists() else "vidlet-tiny"
    tok, text_encoder = Tokenizer(), MiniLM.pretrained()

    @torch.no_grad()
    def encode_video(video: torch.Tensor) -> torch.Tensor:
        return (vae.encode(video)[0] - vae.shift) * vae.scale

    @torch.no_grad()
    def encode_text(captions):
        ids, mask = tok(captions)
        return text_encoder(ids, mask), mask.float()

    def velocity(xt, dt, t, text, mask):
        flag = torch.ones(xt.shape[0])
        return dit(xt, dt, t, text, mask, flag)

    @torch.no_grad()
    def t_embed(t: torch.Tensor) -> torch.Tensor:
        # The DiT's own (frozen) timestep embedding: what its adaLN layers see.
        return dit.t_mlp(timestep_embedding(t, 256))

    # VAE: 4× in time, 8× in space (docs/model-package.md "latent" vs "video").
    video = VideoSize(cfg.frames * 4, cfg.height * 8, cfg.width * 8)
    return BaseModel(
        name=name, dit=dit, depth=cfg.depth, width=cfg.dim, text_dim=cfg.text_dim, video=video,
        encode_video=encode_video, encode_text=encode_text, velocity=velocity, flow_to_rgb=flow_to_rgb,
        timestep_embedding=t_embed, timestep_dim=cfg.dim,
    )
