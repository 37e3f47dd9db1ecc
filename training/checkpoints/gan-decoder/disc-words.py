"""Did the discriminator learn to read the shape word? Rendered truth (middle frames of the 144 tuning
prompts) scored under the prompt as written and under the prompt with its shape word (or its
colour word) swapped for another of the world's: the share of prompts where the true caption
scores higher. 0.5 = the word is not read.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/disc-words.py CKPT [N] [CROP]
(CROP: the run's --d-crop; the frames are then cut around the object as in training)"""
import json, random, re, sys
import numpy as np
import torch
from vidlet_train.caption_discriminator import CaptionDiscriminator, crop_at, object_centres
from vidlet_train.evaluate import Package
from vidlet_train.judge import render_truth
from vidlet_train.world.catalog import COLOURS, SHAPES

torch.set_num_threads(2)
ck = torch.load(sys.argv[1], weights_only=False)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 144
d = CaptionDiscriminator(384); d.load_state_dict(ck["disc"]); d.eval()
pkg = Package("../public/models/vidlet-tiny", "fp32")
prompts = json.load(open("runs/tune-144.json"))[:n]
rng = random.Random(0)
truth = render_truth(prompts)                                   # [n] of [F, H, W, 3] uint8
frames = torch.from_numpy(np.stack([t[8] for t in truth])).permute(0, 3, 1, 2).float() / 127.5 - 1
crop = int(sys.argv[3]) if len(sys.argv) > 3 else 0
if crop:
    from vidlet_train.judge import truth_spec
    from vidlet_train.world import render_clips
    _, _, silhouette = render_clips([truth_spec(p) for p in prompts], 16, 128, with_mask=True)
    frames = crop_at(frames, *object_centres(silhouette[:, 8]), crop)


def swapped(p, kind, names):
    """The prompt with its `kind` word (the first written form found) replaced by another name."""
    word = p[kind]
    other = rng.choice([x for x in names if x != word])
    out, k = re.subn(rf"\b{re.escape(word)}\b", other, p["prompt"], count=1)
    return out if k else None


def score(texts):
    t, m = pkg.encode_text(texts)
    with torch.no_grad():
        return d(frames[idx], torch.from_numpy(t).float(), torch.from_numpy(m).float()).numpy()


for kind, names in (("shape", list(SHAPES)), ("colour", list(COLOURS))):
    pairs = [(i, swapped(p, kind, names)) for i, p in enumerate(prompts)]
    idx = [i for i, s in pairs if s]
    own = score([prompts[i]["prompt"] for i in idx])
    alt = score([s for _, s in pairs if s])
    print(f"{kind}: {len(idx)} prompts with the word written; true caption scores higher in {np.mean(own > alt):.3f}; "
          f"mean margin {np.mean(own - alt):+.3f}")
