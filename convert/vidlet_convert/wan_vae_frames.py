"""Wan's VAE decoder one latent frame at a time, with its causal cache as explicit graph inputs and
outputs — so one pair of graphs decodes a clip of any length (the whole-clip graph is traced for one),
and the engine can show, hand on or cancel a clip frame group by frame group. It is not a memory
win in itself: the whole-clip graph is the same per-frame loop unrolled, and onnxruntime reuses its
buffers (measured in convert/README.md).

AutoencoderKLWan.decode already runs its decoder latent frame by latent frame, each causal
convolution keeping the last two frames it saw in a Python list (`feat_cache`). Frames 0 and 1 are
special (frame 0 skips the temporal upsampling and marks those caches "Rep"; frame 1 fills them);
from frame 2 on every cache entry is a two-frame tensor and every step is the same computation. So:
* `first` decodes latent frames 0–1 → video frames 0–4 and the cache;
* `next` decodes one latent frame with the cache → 4 video frames and the new cache.
Both take diffusion-space latents and clamp, as WanVaeDecoder does. Running `first` then `next` for
frames 2… gives exactly `vae.decode` (tests/test_vae_frames.py).
"""
from __future__ import annotations

import torch
from torch import nn


def cache_slots(vae, latent_shape) -> list[int]:
    """Indices of `feat_cache` that hold tensors after two frames (1×1×1 convolutions never cache)."""
    feat = _run_first(vae, torch.zeros(latent_shape))[1]
    return [i for i, f in enumerate(feat) if isinstance(f, torch.Tensor)]


def _run_first(vae, x):
    vae.clear_cache()  # sets vae._conv_num
    feat = [None] * vae._conv_num
    out0 = vae.decoder(x[:, :, 0:1], feat_cache=feat, feat_idx=[0], first_chunk=True)
    out1 = vae.decoder(x[:, :, 1:2], feat_cache=feat, feat_idx=[0])
    return torch.cat([out0, out1], 2), feat


class _Frames(nn.Module):
    def __init__(self, vae, slots: list[int]):
        super().__init__()
        self.vae = vae
        self.slots = slots
        cfg = vae.config
        self.register_buffer("mean", torch.tensor(cfg.latents_mean, dtype=torch.float32).view(1, -1, 1, 1, 1))
        self.register_buffer("std", torch.tensor(cfg.latents_std, dtype=torch.float32).view(1, -1, 1, 1, 1))

    def _x(self, latent):
        return self.vae.post_quant_conv(latent * self.std + self.mean)  # 1×1×1: frame by frame is exact


class WanVaeFirstFrames(_Frames):
    """latent [1,c,2,h,w] → video [1,3,5,H,W], cache tensors."""

    def forward(self, latent):
        out, feat = _run_first(self.vae, self._x(latent))
        return (out.clamp(-1.0, 1.0), *[feat[i] for i in self.slots])


class WanVaeNextFrame(_Frames):
    """latent [1,c,1,h,w], cache tensors → video [1,3,4,H,W], new cache tensors."""

    def forward(self, latent, *cache):
        feat = [None] * self.vae._conv_num
        for i, c in zip(self.slots, cache):
            feat[i] = c
        out = self.vae.decoder(self._x(latent), feat_cache=feat, feat_idx=[0])
        return (out.clamp(-1.0, 1.0), *[feat[i] for i in self.slots])


def export_frame_decoder(vae, grid, out_dir: str, shard_bytes: int, seed: int, errors: dict,
                         dynamic_space: bool = False, preset_grids: dict | None = None) -> dict | None:
    """Write vae_decoder_first.onnx and vae_decoder_next.onnx, check `first` + `next`… against the whole
    PyTorch decode of a random latent of the package's size (errors["vaeDecoderFrames.fp32"]), and
    return the manifest entry (None for a one-frame latent). `dynamic_space`: any latent height and
    width (each cache tensor's spatial axes a multiple of them), checked at a second size as well
    (errors["vaeDecoderFrames.fp32.otherSize"]), so the engine can decode spatial tiles. `preset_grids`
    ({name: (t, h, w)}, --presets): the pair is checked on a latent of each of those sizes too
    (errors["vaeDecoderFrames.fp32.preset.NAME"]); sizes other than `grid`'s need `dynamic_space`."""
    import os

    import numpy as np

    from . import onnx_io
    from .package import file_entries
    from .wan_graphs import WanVaeDecoder

    t, h, w = grid
    if t < 2:
        return None
    c = vae.config.z_dim
    z = torch.randn(1, c, t, h, w, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        slots = cache_slots(vae, (1, c, 2, h, w))
        first, nxt = WanVaeFirstFrames(vae, slots).eval(), WanVaeNextFrame(vae, slots).eval()
        cache = first(z[:, :, :2])[1:]
        ref = WanVaeDecoder(vae).eval()(z).numpy()
    names = [f"cache_{k}" for k in range(len(slots))]
    new_names = [f"next_{n}" for n in names]
    path = lambda n: os.path.join(out_dir, n)  # noqa: E731
    shapes_first = shapes_next = None
    if dynamic_space:
        hd, wd = torch.export.Dim("h", min=2, max=512), torch.export.Dim("w", min=2, max=512)
        scaled = lambda d, k: d if k == 1 else d * k  # noqa: E731  (the cache of an 8× upsampled level: 8h)
        shapes_first = ({3: hd, 4: wd},)
        shapes_next = ({3: hd, 4: wd}, tuple({3: scaled(hd, x.shape[3] // h), 4: scaled(wd, x.shape[4] // w)} for x in cache))
    first_files = onnx_io.save_sharded(onnx_io.export(first, (z[:, :, :2],), ["latent"], ["video", *names], [], shapes_first),
                                       path("vae_decoder_first.onnx"), shard_bytes)
    next_files = onnx_io.save_sharded(onnx_io.export(nxt, (z[:, :, 2:3] if t > 2 else z[:, :, 1:2], *cache),
                                                     ["latent", *names], ["video", *new_names], [], shapes_next),
                                      path("vae_decoder_next.onnx"), shard_bytes)

    def run_pair(z):
        o = onnx_io.run(path("vae_decoder_first.onnx"), {"latent": z[:, :, :2].numpy()}, ["video", *names])
        video, cache = [o[0]], o[1:]
        for i in range(2, z.shape[2]):
            o = onnx_io.run(path("vae_decoder_next.onnx"), {"latent": z[:, :, i:i + 1].numpy(), **dict(zip(names, cache))},
                            ["video", *new_names])
            video.append(o[0])
            cache = o[1:]
        return np.concatenate(video, 2)

    def record(key, got, ref):
        err = float(np.abs(got - ref).max())
        errors[key] = {"variant": "fp32", "max_abs": err, "peak": float(np.abs(ref).max()),
                       "relative": err / max(float(np.abs(ref).max()), 1e-12)}

    record("vaeDecoderFrames.fp32", run_pair(z), ref)
    if dynamic_space:
        z2 = torch.randn(1, c, t, h + 2, w + 4, generator=torch.Generator().manual_seed(seed + 3))
        with torch.no_grad():
            ref2 = WanVaeDecoder(vae).eval()(z2).numpy()
        record("vaeDecoderFrames.fp32.otherSize", run_pair(z2), ref2)
    for k, (name, (tp, hp, wp)) in enumerate((preset_grids or {}).items()):
        zp = torch.randn(1, c, tp, hp, wp, generator=torch.Generator().manual_seed(seed + 4 + k))
        with torch.no_grad():
            refp = WanVaeDecoder(vae).eval()(zp).numpy()
        record(f"vaeDecoderFrames.fp32.preset.{name}", run_pair(zp), refp)
    return {
        "first": {"latentFrames": 2, "inputs": {"latent": "latent"}, "outputs": {"video": "video"},
                  "variants": {"fp32": {"files": file_entries(out_dir, first_files)}}},
        "next": {"latentFrames": 1, "inputs": {"latent": "latent"}, "outputs": {"video": "video"},
                 "variants": {"fp32": {"files": file_entries(out_dir, next_files)}}},
        # cache k: an output of `first` and of `next` (as next_cache_k), fed to the following `next`
        "cache": [{"input": n, "output": m, "shape": list(s.shape)} for n, m, s in zip(names, new_names, cache)],
        "videoFramesPerStep": 4,
    }
