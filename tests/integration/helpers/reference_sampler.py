"""Runs the training side's reference sampler (training/vidlet_train/evaluate.py, Package.generate:
Python onnxruntime, Euler, CFG / Inner-Guidance) with the initial noise the engine drew, so the
engine's whole loop can be compared with it. Called by tests/integration/reference-sampler.test.ts.

argv: package_dir variant prompt seed steps w1 w2 noise_x.f32 noise_d.f32 out.u8
Writes the uint8 frames [F, H, W, 3] of the one clip to out.u8.
"""
import sys

import numpy as np
import torch

sys.path.insert(0, "training")
from vidlet_train.evaluate import Package  # noqa: E402

pkg_dir, variant, prompt, seed, steps, w1, w2, fx, fd, out = sys.argv[1:11]
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
frames = pkg.generate([prompt], [int(seed)], int(steps), float(w1), float(w2))
assert len(calls) == 2, f"expected 2 noise draws, got {len(calls)}"
frames[0].astype(np.uint8).tofile(out)
