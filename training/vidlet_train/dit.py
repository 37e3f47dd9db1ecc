"""The video DiT: patchified 3D latent tokens, full 3D self-attention with 3D RoPE, adaLN-zero
timestep conditioning, text cross-attention, and VideoJAM's joint appearance-motion I/O.

I/O follows docs/model-package.md: the input layer takes [video latent, motion latent] on the
channel axis (the motion half zeroed where motion_flag = 0) and the output layer predicts both
velocities. Every block's self-attention q, k, v, o carries LoRA slots driven by graph inputs,
so adapters and their per-step strengths never require a new inference session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .text_adapter import TextAdapter


@dataclass
class DiTConfig:
    latent_channels: int = 4
    frames: int = 4
    height: int = 16
    width: int = 16
    patch: int = 2  # 1x2x2 latent pixels per token: 256 tokens (the shipped model, MODEL_CARD.md)
    dim: int = 128
    depth: int = 6
    heads: int = 4
    text_dim: int = 384
    mlp_ratio: int = 4
    lora_slots: int = 2
    lora_rank: int = 8
    lora_targets: int = 4  # q, k, v, o
    # Longest clip in latent frames the RoPE tables cover (issue #10: three 16-frame scenes = 12).
    # Tables are t-major, so a shorter clip uses their first rows: T = `frames` is today's table.
    max_frames: int = 12
    # Hidden width of the text adapter's MLP (text_adapter.py); 0: no adapter, the text
    # encoder's states go to the blocks as they are.
    text_adapter: int = 0
    # Training only (shape_head.py): sub-cells per latent pixel side of the object-silhouette head
    # read from the last block's tokens; 0: none. Inference never runs it, and export drops it.
    mask_head: int = 0

    def to_dict(self):
        return asdict(self)


def without_training_heads(cfg: dict, state: dict) -> tuple[dict, dict]:
    """A checkpoint's config and weights as the exported graph needs them: no mask head."""
    return {**cfg, "mask_head": 0}, {k: v for k, v in state.items() if not k.startswith("mask_out.")}


def rope_tables(cfg: DiTConfig, frames: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [N, head_dim] for 3D RoPE: head dims split between time, height and width.
    Rows are t-major, so the table for T frames is the first T*h*w rows of any longer one."""
    hd = cfg.dim // cfg.heads
    dt = (hd // 4) // 2 * 2
    dh = ((hd - dt) // 2) // 2 * 2
    dw = hd - dt - dh
    t, h, w = frames or cfg.frames, cfg.height // cfg.patch, cfg.width // cfg.patch
    grid = torch.stack(torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij"), -1)
    grid = grid.reshape(-1, 3).float()
    parts = []
    for axis, d in enumerate((dt, dh, dw)):
        freqs = 1.0 / (100.0 ** (torch.arange(0, d, 2).float() / d))
        ang = grid[:, axis:axis + 1] * freqs[None]
        parts.append(torch.cat([ang, ang], -1))
    ang = torch.cat(parts, -1)
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    """Rotate pairs (i, i + d/2) within each axis block (time, height, width) of the head dims."""
    return x * cos + _rotate_half_blocks(x) * sin


_ROPE_SPLITS: list[int] = []  # head-dim sizes of the time / height / width blocks, set by VideoDiT


def _rotate_half_blocks(x):
    outs, i = [], 0
    for d in _ROPE_SPLITS:
        a, b = x[..., i:i + d // 2], x[..., i + d // 2:i + d]
        outs += [-b, a]
        i += d
    return torch.cat(outs, -1)


class LoRALinear(nn.Linear):
    """y = W x + sum_s scale[b, s] * up[s] (down[s] x), the slot tensors given per call."""

    def forward(self, x, lora=None):
        y = F.linear(x, self.weight, self.bias)
        if lora is not None:
            scales, down, up = lora  # [B, S], [S, R, C], [S, C, R]
            for s in range(down.shape[0]):
                y = y + scales[:, s, None, None] * ((x @ down[s].transpose(0, 1)) @ up[s].transpose(0, 1))
        return y


class Block(nn.Module):
    def __init__(self, cfg: DiTConfig):
        super().__init__()
        d, self.h = cfg.dim, cfg.heads
        self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.q, self.k, self.v, self.o = (LoRALinear(d, d) for _ in range(4))
        self.norm_x = nn.LayerNorm(d, eps=1e-6)
        self.cq, self.co = nn.Linear(d, d), nn.Linear(d, d)
        self.ck, self.cv = nn.Linear(cfg.text_dim, d), nn.Linear(cfg.text_dim, d)
        self.norm2 = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, d * cfg.mlp_ratio), nn.GELU(approximate="tanh"),
                                 nn.Linear(d * cfg.mlp_ratio, d))
        self.ada = nn.Linear(d, 6 * d)
        nn.init.zeros_(self.ada.weight); nn.init.zeros_(self.ada.bias)

    def _heads(self, t):
        b, n, d = t.shape
        return t.view(b, n, self.h, d // self.h).transpose(1, 2)

    def _attend(self, q, k, v, bias=None):
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
        if bias is not None:
            att = att + bias
        y = att.softmax(-1) @ v
        b, h, n, hd = y.shape
        return y.transpose(1, 2).reshape(b, n, h * hd)

    def forward(self, x, c, text, text_bias, cos, sin, lora=None):
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(F.silu(c))[:, None].chunk(6, -1)
        h = self.norm1(x) * (1 + sc1) + sh1
        lq, lk, lv, lo = (None,) * 4 if lora is None else lora
        q = apply_rope(self._heads(self.q(h, lq)), cos, sin)
        k = apply_rope(self._heads(self.k(h, lk)), cos, sin)
        v = self._heads(self.v(h, lv))
        x = x + g1 * self.o(self._attend(q, k, v), lo)
        hx = self.norm_x(x)
        x = x + self.co(self._attend(self._heads(self.cq(hx)), self._heads(self.ck(text)),
                                     self._heads(self.cv(text)), text_bias))
        h = self.norm2(x) * (1 + sc2) + sh2
        return x + g2 * self.mlp(h)


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], -1)


class VideoDiT(nn.Module):
    def __init__(self, cfg: DiTConfig = DiTConfig()):
        super().__init__()
        self.cfg = cfg
        p, zc, d = cfg.patch, cfg.latent_channels, cfg.dim
        self.patch_in = nn.Linear(2 * zc * p * p, d)
        self.t_mlp = nn.Sequential(nn.Linear(256, d), nn.SiLU(), nn.Linear(d, d))
        self.text_pool = nn.Linear(cfg.text_dim, d)
        self.text_adapter = TextAdapter(cfg.text_dim, cfg.text_adapter) if cfg.text_adapter else None
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.norm_out = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Linear(d, 2 * d)
        self.patch_out = nn.Linear(d, 2 * zc * p * p)
        nn.init.zeros_(self.ada_out.weight); nn.init.zeros_(self.ada_out.bias)
        nn.init.zeros_(self.patch_out.weight); nn.init.zeros_(self.patch_out.bias)
        k = cfg.mask_head
        self.mask_out = nn.Linear(d, p * p * k * k) if k else None
        cos, sin = rope_tables(cfg, max(cfg.frames, cfg.max_frames))
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        hd = d // cfg.heads
        dt = (hd // 4) // 2 * 2
        dh = ((hd - dt) // 2) // 2 * 2
        _ROPE_SPLITS[:] = [dt, dh, hd - dt - dh]

    def patchify(self, x):
        b, c, t, h, w = x.shape
        p = self.cfg.patch
        x = x.reshape(b, c, t, h // p, p, w // p, p).permute(0, 2, 3, 5, 1, 4, 6)
        return x.reshape(b, t * (h // p) * (w // p), c * p * p)

    def unpatchify(self, x, t: int):
        cfg, p = self.cfg, self.cfg.patch
        b = x.shape[0]
        h, w = cfg.height // p, cfg.width // p
        x = x.reshape(b, t, h, w, 2 * cfg.latent_channels, p, p).permute(0, 4, 1, 2, 5, 3, 6)
        return x.reshape(b, 2 * cfg.latent_channels, t, h * p, w * p)

    def forward(self, latent, motion, timestep, text, text_mask, motion_flag,
                lora_scales=None, lora_down=None, lora_up=None, text_frame_mask=None, with_mask=False):
        """text_frame_mask [B, t, L] (issue #10, docs/model-package.md "Scenes"): 1 where latent
        frame f may attend to text token l, so each frame sees the global caption and its own
        scene's text. None, or all ones, is today's model exactly: every frame sees every token.
        with_mask (training, cfg.mask_head > 0): also return the object-silhouette logits
        [B, t, H * mask_head, W * mask_head] read from the last block's tokens."""
        motion = motion * motion_flag[:, None, None, None, None]
        t = latent.shape[2]
        x = self.patch_in(self.patchify(torch.cat([latent, motion], 1)))
        mask = text_mask.to(x.dtype)
        if self.text_adapter is not None:
            if text_frame_mask is not None:
                raise ValueError("the text adapter mixes tokens across scenes; a per-scene text mask needs a DiT without one")
            text = self.text_adapter(text, mask)
        # The pooled caption (adaLN) is the tokens every frame sees: the global caption, not the
        # scenes, so no scene's text reaches another's frames through it. All-ones: every token.
        shared = mask if text_frame_mask is None else mask * text_frame_mask.to(x.dtype).amin(1)
        pooled = (text * shared[..., None]).sum(1) / shared.sum(1, keepdim=True).clamp(min=1.0)
        c = self.t_mlp(timestep_embedding(timestep, 256)) + self.text_pool(pooled)
        text_bias = ((1.0 - mask) * -1e4)[:, None, None, :]
        if text_frame_mask is not None:
            # One row per video token: token n belongs to latent frame n // (h*w) (t-major patchify).
            per_frame = mask[:, None, :] * text_frame_mask.to(x.dtype)  # [B, t, L]
            per_token = per_frame.repeat_interleave(x.shape[1] // t, dim=1)  # [B, N, L]
            text_bias = ((1.0 - per_token) * -1e4)[:, None]
        n = x.shape[1]
        cos, sin = self.rope_cos[:n], self.rope_sin[:n]
        for d, blk in enumerate(self.blocks):
            lora = None
            if lora_scales is not None:
                sc = lora_scales[:, :, d]
                lora = tuple((sc, lora_down[:, d, p], lora_up[:, d, p]) for p in range(4))
            x = blk(x, c, text, text_bias, cos, sin, lora)
        sh, sc = self.ada_out(F.silu(c))[:, None].chunk(2, -1)
        out = self.unpatchify(self.patch_out(self.norm_out(x) * (1 + sc) + sh), t)
        zc = self.cfg.latent_channels
        if with_mask:
            return out[:, :zc], out[:, zc:], self.silhouette(self.norm_out(x), t)
        return out[:, :zc], out[:, zc:]

    def silhouette(self, tokens, t: int):
        """[B, N, D] -> [B, t, H*k, W*k] logits: each token's p*k x p*k cells in place."""
        cfg, p, k = self.cfg, self.cfg.patch, self.cfg.mask_head
        b, h, w = tokens.shape[0], cfg.height // p, cfg.width // p
        m = self.mask_out(tokens).reshape(b, t, h, w, p * k, p * k).permute(0, 1, 2, 4, 3, 5)
        return m.reshape(b, t, h * p * k, w * p * k)
