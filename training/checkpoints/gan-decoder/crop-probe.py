"""Does looking where the object is fix the picture side? The same conv trunk as probes.py (spectral
norm, the discriminator's optimiser), trained as a 12-way shape classifier on 64x64 crops centred on
the object's silhouette (as rendered; what an object-centred discriminator would see), against the
whole frame in probes.py. Same training / test prompts.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/crop-probe.py [STEPS]"""
import json, sys, time
import torch
import torch.nn.functional as F
from vidlet_train.caption_discriminator import CaptionDiscriminator
from vidlet_train.judge import eval_prompts, truth_spec
from vidlet_train.world import render_clips
from vidlet_train.world.catalog import SHAPES

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
torch.set_num_threads(2); torch.manual_seed(0)
names = sorted(SHAPES)
avoid = {p["prompt"] for f in ("../tests/fixtures/eval-prompts.json", "runs/tune-144.json") for p in json.load(open(f))}
train = [p for p in eval_prompts(1300, 991) if p["prompt"] not in avoid][:1000]
test = json.load(open("runs/tune-144.json"))
C = 64


def crops(ps, frame=None):
    """-> [N, F or 1, 3, C, C] in [-1, 1], each frame cut around its object's silhouette centre."""
    out = []
    for i in range(0, len(ps), 16):
        v, _, m = render_clips([truth_spec(p) for p in ps[i:i + 16]], 16, 128, with_mask=True)
        v = F.pad(v, (C // 2,) * 4, value=0.0)                             # [B, 3, F, H+C, W+C]
        ys, xs = torch.meshgrid(torch.arange(128.), torch.arange(128.), indexing="ij")
        area = m.float().sum((-1, -2)).clamp_min(1)
        cy = ((m * ys).sum((-1, -2)) / area).round().long() + C // 2
        cx = ((m * xs).sum((-1, -2)) / area).round().long() + C // 2
        fr = range(16) if frame is None else [frame]
        out.append(torch.stack([torch.stack([v[b, :, f, cy[b, f] - C // 2:cy[b, f] + C // 2, cx[b, f] - C // 2:cx[b, f] + C // 2]
                                             for f in fr]) for b in range(v.shape[0])]))
    return torch.cat(out)


t0 = time.time()
ctr, cte = crops(train), crops(test, 8)[:, 0]
ytr = torch.tensor([names.index(p["shape"]) for p in train]); yte = torch.tensor([names.index(p["shape"]) for p in test])
trunk = CaptionDiscriminator(384).convs[:4]                                  # 64 -> 4x4, as 128 -> 4x4 with five
head = torch.nn.Linear(128, len(names))
opt = torch.optim.Adam([*trunk.parameters(), *head.parameters()], lr=2e-4, betas=(0.0, 0.99))


def features(x):
    for conv in trunk:
        x = F.leaky_relu(conv(x), 0.2)
    return x.sum(dim=(2, 3))


for _ in range(steps):
    i = torch.randint(0, len(train), (16,)); f = torch.randint(0, 16, (16,))
    loss = F.cross_entropy(head(features(ctr[i, f])), ytr[i]); opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    acc = (head(features(cte)).argmax(1) == yte).float().mean()
print(f"picture, object-centred {C}px crops: {steps} steps of 16 ({time.time() - t0:.0f}s), shape accuracy test {acc:.3f}")
