"""A converted package sampled in onnxruntime (Python) by the engine's rule (docs/model-package.md):
tokenize as src/engine/tokenizer.ts does, one text-encoder call for prompt and "", one batch-2 denoiser
call a step (cond, uncond), v = v(∅) + w·(v(y) − v(∅)), Euler x ← x − Δt·v, then the VAE decoder."""
from __future__ import annotations

import json
import os

import numpy as np

from vidlet_convert import onnx_io


def engine_tokenize(tokenizer_json: str, prompt: str, L: int) -> tuple[np.ndarray, np.ndarray]:
    """As src/engine/tokenizer.ts: content cut to fit, special tokens added, padded with the pad id."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_json)
    pad = json.load(open(tokenizer_json))["padding"]["pad_id"]
    ids = tok.encode(prompt, add_special_tokens=True).ids[:L]
    mask = [1] * len(ids) + [0] * (L - len(ids))
    return np.array([ids + [pad] * (L - len(ids))], np.int64), np.array([mask], np.int64)


def graph(out: str, role: str, variant: str) -> str:
    """The variant's graph, or fp32 where the package has none (the engine's fallback)."""
    variants = json.load(open(os.path.join(out, "manifest.json")))["components"][role]["variants"]
    return os.path.join(out, variants.get(variant, variants["fp32"])["files"][0]["path"])


def sample(out: str, variant: str, prompt: str, noise: np.ndarray, sigmas, w: float,
           decode_noise: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(final latent [1,c,t,h,w], video [1,3,T,H,W] in [-1,1]) from `noise` over `sigmas` (ending at 0);
    `decode_noise` is fed to a vaeDecoder that maps the optional `decode_noise` role."""
    L = json.load(open(os.path.join(out, "manifest.json")))["text"]["maxLength"]
    tj = os.path.join(out, "tokenizer.json")
    ids_c, mask_c = engine_tokenize(tj, prompt, L)
    ids_u, mask_u = engine_tokenize(tj, "", L)
    ids, mask = np.concatenate([ids_c, ids_u]), np.concatenate([mask_c, mask_u])
    (text,) = onnx_io.run(graph(out, "textEncoder", variant), {"input_ids": ids, "attention_mask": mask}, ["hidden"])
    x = noise.astype(np.float32)
    for t, t_next in zip(sigmas[:-1], sigmas[1:]):
        (v,) = onnx_io.run(graph(out, "denoiser", variant),
                           {"latent": np.concatenate([x, x]), "timestep": np.full(2, t, np.float32), "text": text,
                            "text_mask": mask.astype(np.float32)}, ["v_latent"])
        v = v[1:] + w * (v[:1] - v[1:])  # docs/model-package.md: v = v(∅) + w·(v(y) − v(∅))
        x = (x - (t - t_next) * v).astype(np.float32)  # Euler: x ← x − Δt·v
    feeds = {"latent": x}
    if decode_noise is not None:
        feeds["decode_noise"] = decode_noise.astype(np.float32)
    (video,) = onnx_io.run(graph(out, "vaeDecoder", variant), feeds, ["video"])
    return x, video
