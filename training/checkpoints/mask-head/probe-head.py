"""Scratch: what the trained mask head sees — does the DiT know the asked shape at each noise level?
Predicted silhouettes of data clips at t, thresholded, classified by the judge's shape templates."""
import sys, torch, numpy as np, torch.nn.functional as F
sys.path.insert(0, ".")
from vidlet_train.dataset import load_shards
from vidlet_train.dit import DiTConfig, VideoDiT
from vidlet_train.judge import classify_shape
from vidlet_train.silhouettes import load_silhouettes
torch.set_num_threads(2)
ck = torch.load(sys.argv[1], weights_only=False)
dit = VideoDiT(DiTConfig(**ck["cfg"])); dit.load_state_dict(ck["ema"]); dit.eval()
data = load_shards("runs/data4b", limit=1000)
sil = load_silhouettes("runs/data4b", None, 4, 32) if False else torch.load("runs/data4b/silhouettes-32.pt")[:1000]
idx = [i for i, s in enumerate(data["specs"]) if len(s["scenes"]) == 1 and len(s["scenes"][0]["objects"]) == 1
       and s["scenes"][0]["objects"][0]["motion"] == "still"][:96]
want = [data["specs"][i]["scenes"][0]["objects"][0]["shape"] for i in idx]
g = torch.Generator().manual_seed(0)
x0 = data["latent"][idx].float(); d0 = data["motion"][idx].float()
text = data["text"][idx, 0].float(); mask = data["mask"][idx, 0].float()
def cls(m):  # [32,32] prob -> judge shape at 128 px
    up = F.interpolate(m[None, None], size=128, mode="bilinear")[0, 0] > 0.5
    return classify_shape(up.numpy())
truth = [cls(sil[i, 1].float() / 255) for i in idx]
print("truth silhouettes through the classifier:", np.mean([a == b for a, b in zip(truth, want)]))
with torch.no_grad():
    for t in (0.3, 0.6, 0.8, 0.9, 1.0):
        ex = torch.randn(x0.shape, generator=g); ed = torch.randn(d0.shape, generator=g)
        tt = torch.full((len(idx),), t)
        xt = (1 - t) * x0 + t * ex; dt = (1 - t) * d0 + t * ed
        _, _, s = dit(xt, dt, tt, text, mask, torch.ones(len(idx)), with_mask=True)
        p = torch.sigmoid(s[:, 1])
        pred = [cls(p[j]) for j in range(len(idx))]
        print(f"t={t}: head's silhouette judged as the asked shape {np.mean([a == b for a, b in zip(pred, want)]):.3f}")

# the same clips with the caption's shape word swapped for another shape: does the head follow the text?
from vidlet_train.text_encoder import MiniLM, Tokenizer, encode_texts
from vidlet_train.world.catalog import SHAPES
tok, te = Tokenizer(), MiniLM.pretrained()
caps = [data["captions"][i][0] for i in idx]
names = list(SHAPES)
swap, other = [], []
for c, w in zip(caps, want):
    o = names[(names.index(w) + 5) % len(names)]
    word = next((s for s in sorted(SHAPES[w], key=len, reverse=True) if s in c), None)
    swap.append(c.replace(word, SHAPES[o][0]) if word else c); other.append(o if word else w)
st, sm = encode_texts(te, tok, swap)
L = text.shape[1]
st, sm = st[:, :L].float(), sm[:, :L].float()
with torch.no_grad():
    for t in (0.3, 0.6, 0.8):
        g2 = torch.Generator().manual_seed(1)
        ex = torch.randn(x0.shape, generator=g2); ed = torch.randn(d0.shape, generator=g2)
        tt = torch.full((len(idx),), t); xt = (1 - t) * x0 + t * ex; dt = (1 - t) * d0 + t * ed
        _, _, s1 = dit(xt, dt, tt, text, mask, torch.ones(len(idx)), with_mask=True)
        _, _, s2 = dit(xt, dt, tt, st, sm, torch.ones(len(idx)), with_mask=True)
        p1, p2 = torch.sigmoid(s1[:, 1]), torch.sigmoid(s2[:, 1])
        a = [cls(p1[j]) for j in range(len(idx))]; b = [cls(p2[j]) for j in range(len(idx))]
        print(f"t={t}: true caption -> asked {np.mean([x == y for x, y in zip(a, want)]):.3f}; swapped caption -> "
              f"new shape {np.mean([x == y for x, y in zip(b, other)]):.3f}, old shape {np.mean([x == y for x, y in zip(b, want)]):.3f}; "
              f"mean |Δp| {float((p1 - p2).abs().mean()):.4f} (p mean {float(p1.mean()):.3f})")
