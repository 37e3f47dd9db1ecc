"""Builds a `BaseModel` (base.py) from the base model's checkpoint and model package.

The base model's code (DiT, VAE, text encoder) belongs to the training engineer and is still
being written; this module is the one place that knows its layout. Until the modules and a
checkpoint exist, `load_base_model` raises BaseModelUnavailable saying what is missing, and the
smoke test on the real model skips with that message.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Optional

from .base import BaseModel

REPO = Path(__file__).resolve().parents[3]


class BaseModelUnavailable(RuntimeError):
    """The base model's code or checkpoint is not there (yet)."""


def load_base_model(checkpoint: Optional[str] = None) -> BaseModel:
    path = checkpoint or os.environ.get("VIDLET_BASE_CHECKPOINT")
    for module in ("vidlet_train.dit", "vidlet_train.vae"):
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise BaseModelUnavailable(
                f"the base model's code is not importable yet ({module}: {e}); adapter training on the "
                "real model needs training/vidlet_train/{dit,vae} from the training engineer"
            ) from e
    if not path or not Path(path).exists():
        raise BaseModelUnavailable(
            f"no base checkpoint at {path!r}; set VIDLET_BASE_CHECKPOINT to the DiT/VAE checkpoint"
        )
    raise BaseModelUnavailable(
        "vidlet_train.dit exists but adapters/checkpoint.py has not been wired to its checkpoint layout yet"
    )
