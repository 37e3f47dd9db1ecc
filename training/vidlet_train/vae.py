"""The video VAE: 16 latent channels at 4x time and 8x8 space compression (Wan 2.1's latent shape;
`spatial=4` keeps 4x4 instead),
causal in time, with the decoder trained to tolerate noisy latents.

Built for a CPU budget. Frames are folded into the batch so every spatial layer is a conv2d (in
channels-last memory, which bf16 autocast runs 2x faster on avx512_bf16 CPUs than conv3d), and
time is mixed only by `CausalTime`: a 1x1 conv over a frame and the two before it. pixel_unshuffle /
pixel_shuffle move between resolutions, so the expensive 3x3 convs run at 1/2 .. 1/8 resolution.
A latent frame sees only its own 4 frames and the frames before them.

Checkpoints and export reports carry the `VAEConfig`; one without it is the first package's
4-channel VAE (`vae_v1`), which `build_vae` still builds so `recover` can rebuild that package.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VAEConfig:
    latent_channels: int = 16
    enc_hi: int = 32      # encoder width at 1/2 resolution
    enc_lo: int = 128     # encoder width at the latent grid
    dec_lo: int = 192     # decoder width at the latent grid, latent frames
    dec_lo_blocks: int = 2
    dec_mid: int = 128    # latent grid, full frame rate
    dec_hi: int = 64      # 1/4 resolution
    dec_top: int = 32     # 1/2 resolution
    spatial: int = 8      # space compression: 8 (Wan's, Allegro's) or 4 (the outline of a small object survives)

    def to_dict(self) -> dict:
        return asdict(self)


def _fold(x: torch.Tensor) -> torch.Tensor:
    """[B, C, T, H, W] -> [B*T, C, H, W] (channels-last)."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w).contiguous(memory_format=torch.channels_last)


def _unfold(x: torch.Tensor, t: int) -> torch.Tensor:
    bt, c, h, w = x.shape
    return x.reshape(bt // t, t, c, h, w).permute(0, 2, 1, 3, 4)


class CausalTime(nn.Module):
    """y(t) = W [x(t-2), x(t-1), x(t)]: a causal temporal conv of 3 taps on folded frames.
    The first frames see copies of frame 0 (replicate padding), as a causal conv3d would."""

    def __init__(self, c: int):
        super().__init__()
        self.mix = nn.Conv2d(3 * c, c, 1)

    def forward(self, x: torch.Tensor, t: int) -> torch.Tensor:
        bt, c, h, w = x.shape
        v = x.reshape(bt // t, t, c, h, w)
        first = v[:, :1]
        p1 = torch.cat([first, v[:, :-1]], 1)
        p2 = torch.cat([first, first, v[:, :-2]], 1) if t > 1 else p1
        stacked = torch.cat([p2, p1, v], 2).reshape(bt, 3 * c, h, w)
        return self.mix(stacked.contiguous(memory_format=torch.channels_last))


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(8, c), nn.GroupNorm(8, c)
        self.s1, self.s2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.time = CausalTime(c)

    def forward(self, x: torch.Tensor, t: int) -> torch.Tensor:
        h = self.time(self.s1(F.silu(self.n1(x))), t)
        return x + self.s2(F.silu(self.n2(h)))


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.inp = nn.Conv2d(3 * 4, cfg.enc_hi, 3, padding=1)             # 1/2 resolution
        self.r1 = ResBlock(cfg.enc_hi)
        if cfg.spatial not in (4, 8):
            raise ValueError(f"spatial compression {cfg.spatial}: only 4 or 8 are built")
        self.unshuffle = cfg.spatial // 2
        self.down = nn.Conv2d(cfg.enc_hi * self.unshuffle ** 2 * 4, cfg.enc_lo, 1)  # latent grid, 4 frames -> 1
        self.r2, self.r3 = ResBlock(cfg.enc_lo), ResBlock(cfg.enc_lo)
        self.out = nn.Conv2d(cfg.enc_lo, 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, x: torch.Tensor):
        b, _, t, _, _ = x.shape
        h = self.r1(self.inp(F.pixel_unshuffle(_fold(x), 2)), t)
        h = F.pixel_unshuffle(h, self.unshuffle)                           # [B*T, C*u*u, H/s, W/s]
        bt, c, hh, ww = h.shape
        h = h.reshape(b * t // 4, 4 * c, hh, ww).contiguous(memory_format=torch.channels_last)
        h = self.r3(self.r2(self.down(h), t // 4), t // 4)
        mu, logvar = _unfold(self.out(F.silu(h)), t // 4).chunk(2, dim=1)
        return mu, logvar


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv2d(cfg.latent_channels, cfg.dec_lo, 3, padding=1)
        self.lo = nn.ModuleList(ResBlock(cfg.dec_lo) for _ in range(cfg.dec_lo_blocks))
        self.tup = nn.Conv2d(cfg.dec_lo, 4 * cfg.dec_mid, 1)              # 1 latent frame -> 4 frames
        self.mid = ResBlock(cfg.dec_mid)
        self.up1_factor = cfg.spatial // 4                                 # 8x: 1/8 -> 1/4; 4x: stays
        self.up1 = nn.Conv2d(cfg.dec_mid, self.up1_factor ** 2 * cfg.dec_hi, 1)  # -> 1/4 resolution
        self.hi = ResBlock(cfg.dec_hi)
        self.up2 = nn.Conv2d(cfg.dec_hi, 4 * cfg.dec_top, 1)              # -> 1/2 resolution
        self.top = ResBlock(cfg.dec_top)
        self.out = nn.Conv2d(cfg.dec_top, 3 * 4, 3, padding=1)            # -> full resolution

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        tl = z.shape[2]
        t = 4 * tl
        h = self.inp(_fold(z))
        for block in self.lo:
            h = block(h, tl)
        h = self.tup(h)
        bt, c4, hh, ww = h.shape
        h = h.reshape(bt, 4, c4 // 4, hh, ww).reshape(bt * 4, c4 // 4, hh, ww)
        h = self.mid(h.contiguous(memory_format=torch.channels_last), t)
        h = self.hi(F.pixel_shuffle(self.up1(h), self.up1_factor), t)
        h = self.top(F.pixel_shuffle(self.up2(h), 2), t)
        return _unfold(F.pixel_shuffle(self.out(F.silu(h)), 2), t)


class VideoVAE(nn.Module):
    def __init__(self, cfg: VAEConfig | None = None):
        super().__init__()
        self.cfg = cfg or VAEConfig()
        self.zc = self.cfg.latent_channels
        self.encoder, self.decoder = Encoder(self.cfg), Decoder(self.cfg)
        # diffusion-space scaling per channel, set from data after training: z_diff = (z - shift) * scale
        self.register_buffer("shift", torch.zeros(self.zc, 1, 1, 1))
        self.register_buffer("scale", torch.ones(self.zc, 1, 1, 1))

    def encode(self, x, sample=False):
        mu, logvar = self.encoder(x)
        if sample:
            mu = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-20, 5))
        return mu, logvar

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-20, 5))
        return self.decoder(z), mu, logvar


class PreviewDecoder(nn.Module):
    """Latent -> 4 frames at 1/4 resolution: one cheap pass per denoising step in the page."""

    def __init__(self, zc: int = 16, c: int = 64, spatial: int = 8):
        super().__init__()
        self.up = spatial // 4
        self.a = nn.Conv3d(zc, c, (1, 3, 3), padding=(0, 1, 1))
        self.b = nn.Conv3d(c, 3 * self.up ** 2, (1, 3, 3), padding=(0, 1, 1))

    def forward(self, z):
        y = self.b(F.silu(self.a(z)))
        t = y.shape[2]
        return torch.tanh(_unfold(F.pixel_shuffle(_fold(y), self.up), t))


def build_vae(cfg: dict | None) -> tuple[nn.Module, PreviewDecoder]:
    """The VAE and preview decoder a checkpoint or export report describes (None: the v1 VAE)."""
    if cfg is None:
        from .vae_v1 import VideoVAE as VideoVAEv1
        vae = VideoVAEv1()
    else:
        vae = VideoVAE(VAEConfig(**cfg))
    return vae, PreviewDecoder(vae.zc, spatial=getattr(vae, "cfg", VAEConfig()).spatial)


def load_vae(path: str, with_preview: bool = False):
    ck = torch.load(path, map_location="cpu")
    vae, prev = build_vae(ck.get("cfg"))
    vae.load_state_dict(ck["vae"])
    prev.load_state_dict(ck["preview"])
    vae.eval().requires_grad_(False)
    return (vae, prev.eval()) if with_preview else vae


class DiffusionLatentDecoder(nn.Module):
    """Export wrapper: takes diffusion-space latents, undoes the scaling, decodes."""

    def __init__(self, vae: nn.Module, preview: PreviewDecoder | None = None):
        super().__init__()
        self.vae, self.preview = vae, preview

    def forward(self, latent):
        z = latent / self.vae.scale + self.vae.shift
        if self.preview is not None:
            return self.preview(z)
        return self.vae.decoder(z).clamp(-1, 1)


class DiffusionLatentEncoder(nn.Module):
    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, video):
        mu, _ = self.vae.encoder(video)
        return (mu - self.vae.shift) * self.vae.scale
