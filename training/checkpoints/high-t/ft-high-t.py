"""Scratch ablation driver: train_dit with more of its timesteps where the outline is decided.
sdedit-shape.py (../text-decoder/) found the shipped DiT finishes an outline from t0 <= 0.2 and loses
it between 0.4 and 1.0; here half of each batch's t is uniform on [0.5, 1] and the other half drawn
by timesteps.sample_t as always (so 75% of t above 0.5 instead of 50%).
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/high-t/ft-high-t.py TRAIN_DIT_ARGS..."""
import sys
import torch
from vidlet_train import timesteps, train_dit


def high_t(b: int, gen: torch.Generator) -> torch.Tensor:
    base = timesteps.sample_t(b, gen)
    return torch.where(torch.rand(b, generator=gen) < 0.5, 0.5 + 0.5 * torch.rand(b, generator=gen), base)


train_dit.sample_t = high_t
train_dit.main(sys.argv[1:])
