"""The first package's VAE (4 latent channels), kept so `recover` can rebuild vidlet-tiny v1.

A small causal video VAE with Allegro's compression: 4x in time, 8x8 in space.

Built for a CPU budget: space-to-depth at the input and output (so the expensive convolutions
run at 1/4 or 1/8 resolution), (2+1)D convolutions (a 1x3x3 spatial conv then a causal 3x1x1
temporal conv, 12 taps instead of 27), and time-to-depth for the 4x temporal compression, so a
latent frame only ever sees its own 4 frames and the frames before them (causal).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv3d(nn.Module):
    """A (kt, kh, kw) conv that pads only the past in time."""

    def __init__(self, cin, cout, k=(3, 3, 3)):
        super().__init__()
        self.kt = k[0]
        self.pad = (k[2] // 2, k[2] // 2, k[1] // 2, k[1] // 2, k[0] - 1, 0)
        self.conv = nn.Conv3d(cin, cout, k)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad, mode="replicate" if self.kt > 1 else "constant"))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n1 = nn.GroupNorm(8, c)
        self.s1 = CausalConv3d(c, c, (1, 3, 3))
        self.t1 = CausalConv3d(c, c, (3, 1, 1))
        self.n2 = nn.GroupNorm(8, c)
        self.s2 = CausalConv3d(c, c, (1, 3, 3))

    def forward(self, x):
        h = self.t1(self.s1(F.silu(self.n1(x))))
        h = self.s2(F.silu(self.n2(h)))
        return x + h


def space_to_depth(x, r):
    b, c, t, h, w = x.shape
    x = x.reshape(b, c, t, h // r, r, w // r, r).permute(0, 1, 4, 6, 2, 3, 5)
    return x.reshape(b, c * r * r, t, h // r, w // r)


def depth_to_space(x, r):
    b, c, t, h, w = x.shape
    x = x.reshape(b, c // (r * r), r, r, t, h, w).permute(0, 1, 4, 5, 2, 6, 3)
    return x.reshape(b, c // (r * r), t, h * r, w * r)


def time_to_depth(x, r):
    b, c, t, h, w = x.shape
    x = x.reshape(b, c, t // r, r, h, w).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, c * r, t // r, h, w)


def depth_to_time(x, r):
    b, c, t, h, w = x.shape
    x = x.reshape(b, c // r, r, t, h, w).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, c // r, t * r, h, w)


class Encoder(nn.Module):
    def __init__(self, zc=4, c=96):
        super().__init__()
        self.inp = nn.Conv3d(3 * 64, c, 1)  # 8x8 space-to-depth
        self.r1 = ResBlock(c)
        self.tdown = nn.Conv3d(c * 4, c, 1)  # 4x time-to-depth
        self.r2 = ResBlock(c)
        self.out = nn.Conv3d(c, 2 * zc, 1)

    def forward(self, x):
        h = self.inp(space_to_depth(x, 8))
        h = self.r1(h)
        h = self.tdown(time_to_depth(h, 4))
        h = self.r2(h)
        return self.out(F.silu(h)).chunk(2, dim=1)


class Decoder(nn.Module):
    def __init__(self, zc=4, c=128, c_hi=64):
        super().__init__()
        self.inp = CausalConv3d(zc, c, (1, 3, 3))
        self.r1 = ResBlock(c)
        self.tup = nn.Conv3d(c, c * 4, 1)  # depth-to-time 4x
        self.r2 = ResBlock(c)
        self.sup = nn.Conv3d(c, c_hi * 4, 1)  # depth-to-space 2x -> 32x32
        self.r3 = ResBlock(c_hi)
        self.out = nn.Conv3d(c_hi, 3 * 16, 1)  # depth-to-space 4x -> 128x128

    def forward(self, z):
        h = self.r1(self.inp(z))
        h = self.r2(depth_to_time(self.tup(h), 4))
        h = self.r3(depth_to_space(self.sup(h), 2))
        return depth_to_space(self.out(F.silu(h)), 4)


class VideoVAE(nn.Module):
    def __init__(self, zc=4):
        super().__init__()
        self.zc = zc
        self.encoder = Encoder(zc)
        self.decoder = Decoder(zc)
        # diffusion-space scaling, set from data after training: z_diff = (z - shift) * scale
        self.register_buffer("shift", torch.zeros(()))
        self.register_buffer("scale", torch.ones(()))

    def encode(self, x, sample=False):
        mu, logvar = self.encoder(x)
        if sample:
            mu = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-20, 5))
        return mu, logvar

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-20, 5))
        return self.decoder(z), mu, logvar
