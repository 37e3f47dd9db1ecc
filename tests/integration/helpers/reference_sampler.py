"""Runs the training side's reference sampler (training/vidlet_train/evaluate.py, Package.generate:
Python onnxruntime, Euler, CFG / Inner-Guidance through vidlet_train/guidance.py) with the initial
noise the engine drew, so the engine's whole loop can be compared with it. Called by
tests/integration/reference-sampler.test.ts.

argv: package_dir variant prompt seed steps guidance inner_guidance noise_x.f32 noise_d.f32 out.u8
`guidance` is the CFG scale w and `inner_guidance` VideoJAM's w2, exactly the values the engine's
request holds (docs/model-package.md); nothing here converts them.
Writes the uint8 frames [F, H, W, 3] of the one clip to out.u8.
"""
import sys

import numpy as np
import torch

sys.path.insert(0, "training")
from vidlet_train.evaluate import Package  # noqa: E402

if len(sys.argv) != 11:
    sys.exit(f"usage: {sys.argv[0]} package_dir variant prompt seed steps guidance inner_guidance noise_x.f32 noise_d.f32 out.u8")
pkg_dir, variant, prompt, seed, steps, guidance, inner_guidance, fx, fd, out = sys.argv[1:11]
pkg = Package(pkg_dir, variant, threads=1)
lat = pkg.m["latent"]
shape = (lat["channels"], lat["frames"], lat["height"], lat["width"])
noise = [np.fromfile(fx, dtype="<f4").reshape(shape), np.fromfile(fd, dtype="<f4").reshape(shape)]
calls = []


def engine_noise(*args, **kwargs):
    # Package.generate draws x (video) first, then d (motion): hand it the engine's noise in that order.
    calls.append(1)
    return torch.from_numpy(noise[len(calls) - 1].copy())


torch.randn = engine_noise
frames = pkg.generate([prompt], [int(seed)], int(steps), guidance=float(guidance), inner_guidance=float(inner_guidance))
assert len(calls) == 2, f"expected 2 noise draws, got {len(calls)}"
frames[0].astype(np.uint8).tofile(out)
