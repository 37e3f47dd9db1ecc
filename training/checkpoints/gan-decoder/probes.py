"""Which side of the caption discriminator fails to learn the shape: the words or the picture?
(1) the caption's mean-pooled text states -> shape class, a linear probe; (2) the discriminator's own
conv trunk (spectral norm, same optimiser) -> shape class from a rendered frame, no words.
Train: the judge's prompt writer at seed 991 (tuning and held-out prompts excluded); test: the 144
tuning prompts. usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/probes.py [STEPS] [plain]"""
import json, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from vidlet_train.caption_discriminator import CaptionDiscriminator
from vidlet_train.evaluate import Package
from vidlet_train.judge import eval_prompts, render_truth
from vidlet_train.world.catalog import SHAPES

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
plain = len(sys.argv) > 2 and sys.argv[2] == "plain"  # the same trunk without spectral norm, lr 1e-3
torch.set_num_threads(2); torch.manual_seed(0)
names = sorted(SHAPES)
pkg = Package("../public/models/vidlet-tiny", "fp32")
avoid = {p["prompt"] for f in ("../tests/fixtures/eval-prompts.json", "runs/tune-144.json") for p in json.load(open(f))}
train = [p for p in eval_prompts(1300, 991) if p["prompt"] not in avoid][:1000]
test = json.load(open("runs/tune-144.json"))


def pooled(ps):
    t, m = pkg.encode_text([p["prompt"] for p in ps])
    t, m = torch.from_numpy(t).float(), torch.from_numpy(m).float().unsqueeze(-1)
    return (t * m).sum(1) / m.sum(1)


def labels(ps):
    return torch.tensor([names.index(p["shape"]) for p in ps])


ytr, yte = labels(train), labels(test)
xtr, xte = pooled(train), pooled(test)
probe = torch.nn.Linear(384, len(names))
opt = torch.optim.Adam(probe.parameters(), lr=1e-2)
for _ in range(500):
    loss = F.cross_entropy(probe(xtr), ytr); opt.zero_grad(); loss.backward(); opt.step()
print(f"words: linear probe on the pooled caption, shape accuracy train {(probe(xtr).argmax(1) == ytr).float().mean():.3f}, "
      f"test {(probe(xte).argmax(1) == yte).float().mean():.3f} (chance {1 / len(names):.3f})", flush=True)

t0 = time.time()
ftr = torch.from_numpy(render_truth(train)).permute(0, 1, 4, 2, 3)
fte = torch.from_numpy(np.stack([c[8] for c in render_truth(test)])).permute(0, 3, 1, 2).float() / 127.5 - 1
trunk = CaptionDiscriminator(384).convs
if plain:
    trunk = torch.nn.ModuleList(torch.nn.Conv2d(c.in_channels, c.out_channels, 4, 2, 1) for c in trunk)
head = torch.nn.Linear(128, len(names))
opt = torch.optim.Adam([*trunk.parameters(), *head.parameters()], lr=1e-3 if plain else 2e-4, betas=(0.9, 0.999) if plain else (0.0, 0.99))


def features(x):
    for conv in trunk:
        x = F.leaky_relu(conv(x), 0.2)
    return x.sum(dim=(2, 3))


for step in range(steps):
    i = torch.randint(0, len(train), (16,)); f = torch.randint(0, ftr.shape[1], (16,))
    loss = F.cross_entropy(head(features(ftr[i, f].float() / 127.5 - 1)), ytr[i])
    opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    acc = (head(features(fte)).argmax(1) == yte).float().mean()
print(f"picture: the discriminator's trunk{' without spectral norm' if plain else ''}, {steps} steps of 16 frames ({time.time() - t0:.0f}s), shape accuracy test {acc:.3f}")
