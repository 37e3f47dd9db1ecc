"""How much does the DiT listen to each kind of word? For one-object solid-background data clips,
the flow-matching error of its conditional velocity with the clip's own template caption against a
caption of the same clip with one attribute changed (pairs.alter_spec), same t and noise. A model that
uses shape words pays more error with the wrong shape word, as it does with the wrong colour word.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/word-use/word-loss.py N [DIT_PT ...]"""
import glob, random, sys
import torch
from vidlet_train.export import load_dit
from vidlet_train.reward.pairs import alter_spec
from vidlet_train.text_encoder import MiniLM, Tokenizer, encode_texts
from vidlet_train.world.captions import template_caption
from vidlet_train.world.sample import ClipSpec

torch.set_num_threads(2)
n = int(sys.argv[1])
sh = torch.load(sorted(glob.glob("runs/data4b/shard-*.pt"))[2], weights_only=False)
ok = lambda s: len(s["scenes"]) == 1 and len(s["scenes"][0]["objects"]) == 1 and s["scenes"][0]["background"] == "solid"
idx = [i for i, s in enumerate(sh["specs"]) if ok(s)][:n]
specs = [ClipSpec.from_dict(sh["specs"][i]) for i in idx]
tok, te = Tokenizer(), MiniLM.pretrained()
ATTR = ("shape", "colour", "motion")
caps = {"true": [template_caption(random.Random(k), s.scenes)[0] for k, s in enumerate(specs)]}
for a in ATTR:
    alts = [alter_spec(random.Random(100 + k), s, a) for k, s in enumerate(specs)]
    caps[a] = [template_caption(random.Random(k), s.scenes)[0] for k, s in enumerate(alts)]
print("e.g.", {k: v[0] for k, v in caps.items()})
enc = {k: encode_texts(te, tok, v) for k, v in caps.items()}
x0, d0 = sh["latent"][idx].float(), sh["motion"][idx].float()
g = torch.Generator().manual_seed(0)
ex, ed = torch.randn(x0.shape, generator=g), torch.randn(d0.shape, generator=g)
for path in sys.argv[2:] or ["runs/ship/dit/final.pt"]:
    dit = load_dit(path, 4, 16)
    print(path)
    for t in (0.2, 0.4, 0.6, 0.8, 0.95):
        tt = torch.full((len(idx),), t)
        xt, dt = (1 - t) * x0 + t * ex, (1 - t) * d0 + t * ed
        err = {}
        for k, (h, m) in enc.items():
            L = int(m.sum(1).max())
            e = []
            with torch.no_grad():
                for j in range(0, len(idx), 16):
                    s = slice(j, j + 16)
                    vx, _ = dit(xt[s], dt[s], tt[s], h[s, :L].float(), m[s, :L].float(), torch.ones(len(tt[s])))
                    e.append(((vx - (ex[s] - x0[s])) ** 2).mean(dim=(1, 2, 3, 4)))
            err[k] = torch.cat(e)
        base = err["true"]
        row = "  ".join(f"{a} +{(err[a] - base).mean():.4f} (±{(err[a] - base).std() / len(idx) ** .5:.4f})" for a in ATTR)
        print(f"t {t:.2f}: err {base.mean():.4f}  wrong-word extra error: {row}", flush=True)
