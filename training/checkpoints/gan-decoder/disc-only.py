"""Can the caption discriminator learn to read the shape word at all, and which fakes teach it?
The discriminator alone (no generator) on rendered truth, trained with real frames under another
prompt's caption as fakes (what the GAN run did) or under the same prompt with its shape word
swapped; then scored as disc-words.py does on the 144 tuning prompts (true caption beats the
shape-swapped / colour-swapped one). Training prompts: the judge's prompt writer at seed 991, every
tuning and held-out prompt excluded.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/disc-only.py rolled|swapped [STEPS] [mean|attn]"""
import json, random, re, sys, time
import numpy as np
import torch
from vidlet_train.caption_discriminator import CaptionDiscriminator
from vidlet_train.evaluate import Package
from vidlet_train.judge import eval_prompts, render_truth
from vidlet_train.world.catalog import COLOURS, SHAPES

mode, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
readout = sys.argv[3] if len(sys.argv) > 3 else "mean"  # mean: the module's pooled caption; attn: the frame's features attend to the tokens
torch.set_num_threads(2); torch.manual_seed(0)
rng = random.Random(0)
pkg = Package("../public/models/vidlet-tiny", "fp32")


def swap(p, kind, names):
    other = rng.choice([x for x in names if x != p[kind]])
    out, k = re.subn(rf"\b{re.escape(p[kind])}\b", other, p["prompt"], count=1)
    return out if k else None


def encode(texts):
    t, m = pkg.encode_text(texts)
    return torch.from_numpy(t).float(), torch.from_numpy(m).float()


avoid = {p["prompt"] for f in ("../tests/fixtures/eval-prompts.json", "runs/tune-144.json") for p in json.load(open(f))}
train = [p for p in eval_prompts(1600, 991) if p["prompt"] not in avoid]
train = [(p, s) for p in train if (s := swap(p, "shape", list(SHAPES)))][:1000]
t0 = time.time()
frames = torch.from_numpy(render_truth([p for p, _ in train])).permute(0, 1, 4, 2, 3)   # [N, F, 3, H, W] uint8
text, mask = encode([p["prompt"] for p, _ in train])
text_sw, mask_sw = encode([s for _, s in train])
print(f"{len(train)} training prompts, rendered and encoded in {time.time() - t0:.0f}s", flush=True)

class AttnReadout(CaptionDiscriminator):
    """The same discriminator, but the caption is read by attention from the frame's pooled features
    (one query, scaled dot product over the unmasked tokens) instead of by the mean of its tokens."""

    def __init__(self):
        super().__init__(384)
        self.key = torch.nn.Linear(384, 128)

    def forward(self, frames, text, mask):
        h = frames
        for conv in self.convs:
            h = torch.nn.functional.leaky_relu(conv(h), 0.2)
        phi = h.sum(dim=(2, 3))
        logits = (self.key(text) @ phi.unsqueeze(-1)).squeeze(-1) / phi.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        w = torch.softmax(logits.masked_fill(mask < 0.5, -1e9), -1)
        caption = (w.unsqueeze(-1) * text).sum(1)
        return self.head(phi).squeeze(-1) + (phi * self.embed(caption)).sum(-1)


d = AttnReadout() if readout == "attn" else CaptionDiscriminator(384)
opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.99))
for step in range(steps):
    i = torch.randint(0, len(train), (16,))
    f = torch.randint(0, frames.shape[1], (16,))
    x = frames[i, f].float() / 127.5 - 1
    if mode == "swapped":
        wrong = (text_sw[i], mask_sw[i])
    else:
        j = torch.roll(i, 1)
        wrong = (text[j], mask[j])
    loss = torch.relu(1 - d(x, text[i], mask[i])).mean() + torch.relu(1 + d(x, *wrong)).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    if (step + 1) % 500 == 0:
        print(f"step {step + 1} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)

d.eval()
tune = json.load(open("runs/tune-144.json"))
tf = torch.from_numpy(np.stack([c[8] for c in render_truth(tune)])).permute(0, 3, 1, 2).float() / 127.5 - 1
for kind, names in (("shape", list(SHAPES)), ("colour", list(COLOURS))):
    pairs = [(k, swap(p, kind, names)) for k, p in enumerate(tune)]
    idx = [k for k, s in pairs if s]
    with torch.no_grad():
        own = d(tf[idx], *encode([tune[k]["prompt"] for k in idx])).numpy()
        alt = d(tf[idx], *encode([s for _, s in pairs if s])).numpy()
    print(f"{mode}, {readout} readout: {kind}: true caption beats the swapped one in {np.mean(own > alt):.3f} of {len(idx)}")
