"""The reward network: a finished clip and its prompt -> VQ, MQ, TA scores and a 64-d feature vector.

Input: the package's video exactly as the VAE decoder gives it, [B, 3, T, H, W] in [-1, 1]
(T = 16, H = W = 128 for vidlet-tiny), and the text encoder's token states [B, L, 384] with the
attention mask [B, L] (1 = token, 0 = pad), the same two tensors the denoiser takes.

  frame differences   x_t − x_{t−1} (0 for the first frame) are stacked on the pixels: 6 channels.
                      Stutter, teleports and jitter are patterns in these differences, and a
                      network would otherwise have to learn to subtract neighbouring frames itself.
  stem                one Conv3d with kernel = stride (2, 4, 4): each 2-frame × 4 × 4 patch of
                      pixels and differences -> `widths[0]` channels, [T/2, H/4, W/4]. A learned patch
                      map rather than a fixed resize to 64 × 64 keeps what averaging would wipe out
                      (pixel noise, the edges of 8 × 8 blocks), at the cost of a resize's arithmetic.
  stages              per stage: a ConvNeXt-style block (depthwise 3 × 3 in space, depthwise 3 in time,
                      pointwise MLP), then a 2 × 2 patch merge in space.
  text                token states projected to the last width; their masked mean modulates the
                      middle stage (FiLM) so early features can look for what the prompt names, and
                      the last stage's tokens attend to the text tokens (cross-attention) so TA can
                      compare the clip with each word.
  head                mean and max over all video tokens -> LayerNorm(Linear) -> the first
                      `features − match` features; the last `match` are a product v ⊙ u of a video
                      embedding v (Linear of the pooled tokens) and a prompt embedding u (an MLP of
                      the prompt's mean token state), both layer-normalised: TA is agreement between
                      clip and prompt, and a sum of products expresses agreement directly, where a
                      linear read-out of pooled features has to discover it (the first design, with
                      only FiLM and cross-attention, stayed at chance on TA: reward/README.md).
                      scores = Linear(features) [B, 3]. Scores are linear in the features, so the
                      page's per-person taste head (a linear map of the features, src/votes/taste-head.ts)
                      can express any weighting of VQ, MQ and TA and more.

All ops are standard ONNX opset 17 (Conv, MatMul, Softmax, LayerNormalization, ReduceMean/Max), the
same kinds the shipped VAE and DiT graphs already run in onnxruntime-web.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

SCORE_NAMES = ("VQ", "MQ", "TA")


@dataclass
class RewardConfig:
    frames: int = 16
    size: int = 128
    text_dim: int = 384
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    heads: int = 4
    features: int = 64
    match: int = 16  # of the features, how many are clip-prompt agreement products (0: none)

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    """ConvNeXt-style residual block on [B, C, T, H, W]: depthwise space, depthwise time, pointwise MLP."""

    def __init__(self, c: int):
        super().__init__()
        self.dw_s = nn.Conv3d(c, c, (1, 3, 3), padding=(0, 1, 1), groups=c)
        self.dw_t = nn.Conv3d(c, c, (3, 1, 1), padding=(1, 0, 0), groups=c)
        self.norm = nn.GroupNorm(1, c)
        self.pw1 = nn.Conv3d(c, 2 * c, 1)
        self.pw2 = nn.Conv3d(2 * c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pw2(F.gelu(self.pw1(self.norm(self.dw_t(self.dw_s(x))))))


class CrossAttention(nn.Module):
    """Video tokens attend to the prompt's tokens (pads masked out), then a token MLP."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.h = heads
        self.ln_q, self.ln_kv, self.ln_mlp = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x: torch.Tensor, text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        split = lambda t: t.reshape(b, -1, self.h, d // self.h).transpose(1, 2)  # noqa: E731
        kv = self.ln_kv(text)
        q, k, v = split(self.q(self.ln_q(x))), split(self.k(kv)), split(self.v(kv))
        att = (q @ k.transpose(-1, -2)) * (d // self.h) ** -0.5 + (1.0 - mask)[:, None, None, :] * -1e4
        x = x + self.o((att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.ln_mlp(x))


class RewardModel(nn.Module):
    def __init__(self, cfg: RewardConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or RewardConfig()
        w = cfg.widths
        if cfg.size % (4 * 2 ** (len(w) - 1)) or cfg.frames % 2:
            raise ValueError(f"the reward model needs frames even and size divisible by {4 * 2 ** (len(w) - 1)}, "
                             f"got {cfg.frames} frames of {cfg.size} px")
        self.stem = nn.Conv3d(6, w[0], (2, 4, 4), stride=(2, 4, 4))
        self.blocks = nn.ModuleList(Block(c) for c in w)
        self.merges = nn.ModuleList(nn.Conv3d(a, b, (1, 2, 2), stride=(1, 2, 2)) for a, b in zip(w[:-1], w[1:]))
        d = w[-1]
        self.text_proj = nn.Linear(cfg.text_dim, d)
        self.film_stage = len(w) // 2
        self.film = nn.Linear(d, 2 * w[self.film_stage])
        nn.init.zeros_(self.film.weight)  # starts as the identity: (1 + 0)·x + 0
        nn.init.zeros_(self.film.bias)
        self.pos = nn.Parameter(torch.zeros(1, d, cfg.frames // 2, 1, 1))  # when in the clip (space: convs know)
        self.cross = CrossAttention(d, cfg.heads)
        if not 0 <= cfg.match < cfg.features:
            raise ValueError(f"match ({cfg.match}) must be at least 0 and below features ({cfg.features})")
        self.to_features = nn.Linear(2 * d, cfg.features - cfg.match)
        self.features_norm = nn.LayerNorm(cfg.features - cfg.match)
        if cfg.match:
            self.match_video = nn.Sequential(nn.Linear(2 * d, cfg.match), nn.LayerNorm(cfg.match))
            self.match_text = nn.Sequential(nn.Linear(cfg.text_dim, d), nn.GELU(), nn.Linear(d, cfg.match),
                                            nn.LayerNorm(cfg.match))
        self.to_scores = nn.Linear(cfg.features, len(SCORE_NAMES))

    def forward(self, video: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor):
        """video [B, 3, T, H, W] in [-1, 1], text [B, L, 384], text_mask [B, L] -> (scores [B, 3], features [B, 64])."""
        mask = text_mask.to(video.dtype)
        diff = torch.cat([torch.zeros_like(video[:, :, :1]), video[:, :, 1:] - video[:, :, :-1]], 2)
        x = self.stem(torch.cat([video, diff], 1))
        t = self.text_proj(text)
        pooled = (t * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == self.film_stage:
                gamma, beta = self.film(pooled)[:, :, None, None, None].chunk(2, 1)
                x = x * (1 + gamma) + beta
            if i < len(self.merges):
                x = self.merges[i](F.gelu(x))
        x = x + self.pos
        tokens = x.flatten(2).transpose(1, 2)  # [B, N, d]
        tokens = self.cross(tokens, t, mask)
        h = torch.cat([tokens.mean(1), tokens.amax(1)], -1)
        features = self.features_norm(self.to_features(h))
        if self.cfg.match:
            prompt = (text * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            features = torch.cat([features, self.match_video(h) * self.match_text(prompt)], -1)
        return self.to_scores(features), features


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
