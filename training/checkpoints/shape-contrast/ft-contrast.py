"""Scratch ablation driver: train_dit plus a term that makes the shape word matter. Each clip's
caption is also read with its shape nouns swapped for another shape's (the same regex the inference
test uses); the DiT's velocity error under that wrong caption must exceed its error under the true
one by a margin:  loss = flow_matching + LAMBDA · mean(relu(DELTA − (e_wrong − e_true))),
e = the object-weighted squared velocity error per clip (text-dropped rows and captions with no shape
noun are left out). The wrong caption is encoded on the fly by the frozen MiniLM.
usage (in training/): CONTRAST_LAMBDA=1 CONTRAST_DELTA=0.03 PYTHONPATH=. .venv/bin/python \
    checkpoints/shape-contrast/ft-contrast.py TRAIN_DIT_ARGS..."""
import os, random, re, sys
import torch
from vidlet_train import train_dit
from vidlet_train.text_encoder import MiniLM, Tokenizer
from vidlet_train.world.captions import shape_words
from vidlet_train.world.catalog import SHAPES

LAMBDA, DELTA = float(os.environ.get("CONTRAST_LAMBDA", 1)), float(os.environ.get("CONTRAST_DELTA", 0.03))
NAMES = sorted(SHAPES)
WORDS = sorted({w for s in NAMES for w in shape_words(s)}, key=len, reverse=True)
PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, WORDS)) + r")\b", re.I)
tok, te = Tokenizer(), MiniLM.pretrained().eval()


def wrong_caption(text: str, rng: random.Random) -> str | None:
    """The caption with every shape noun replaced by a word of one other shape; None if it has none."""
    found = {s for m in PATTERN.finditer(text) for s in NAMES if m.group(1).lower() in shape_words(s)}
    if not found:
        return None
    other = rng.choice([s for s in NAMES if s not in found])
    return PATTERN.sub(lambda m: rng.choice(shape_words(other)), text)


state = {}


def sample_batch(data, batch, gen, device):
    n, k = data["text"].shape[:2]
    idx = torch.randint(0, n, (batch,), generator=gen)
    cap = torch.randint(0, k, (batch,), generator=gen)
    rng = random.Random(int(torch.randint(0, 2**31, (1,), generator=gen)))
    wrong = [wrong_caption(data["captions"][i][c], rng) for i, c in zip(idx.tolist(), cap.tolist())]
    valid = torch.tensor([w is not None for w in wrong])
    ids, m = tok([w or "" for w in wrong])
    with torch.no_grad():
        h = te(ids, m)
    mask = data["mask"][idx, cap]
    n_tok = max(2, int(mask.sum(1).max()), int(m.sum(1).max()))
    f = lambda x: x.float().to(device)  # noqa: E731
    pad = lambda x, L: torch.nn.functional.pad(x, (0, 0, 0, L - x.shape[1])) if x.dim() == 3 else torch.nn.functional.pad(x, (0, L - x.shape[1]))
    state["wrong"] = (f(pad(h, n_tok)[:, :n_tok]), f(pad(m, n_tok)[:, :n_tok]), valid.to(device))
    return (f(data["latent"][idx]), f(data["motion"][idx]), f(data["text"][idx, cap, :n_tok]), f(mask[:, :n_tok]),
            f(data["empty_text"][:, :n_tok]), f(data["empty_mask"][:, :n_tok]))


def loss_with_contrast(model, batch, gen, object_weight=0.0, mask_weight=0.0, **kw):
    x0, d0, text, mask, empty_text, empty_mask = batch[:6]
    b, dev = x0.shape[0], x0.device
    t = train_dit.sample_t(b, gen).to(dev)
    ex, ed = torch.randn(x0.shape, generator=gen).to(dev), torch.randn(d0.shape, generator=gen).to(dev)
    tt = t[:, None, None, None, None]
    xt, dt = (1 - tt) * x0 + tt * ex, (1 - tt) * d0 + tt * ed
    drop = (torch.rand(b, generator=gen) < train_dit.TEXT_DROP).to(dev)
    wt, wm, valid = state["wrong"]
    text_in = torch.where(drop[:, None, None], empty_text.expand_as(text), text)
    mask_in = torch.where(drop[:, None], empty_mask.expand_as(mask), mask)
    flag = (torch.rand(b, generator=gen) >= train_dit.MOTION_DROP).float().to(dev)
    # one call holds both readings: [true (or dropped) × b, wrong × b]
    vx, vd = model(torch.cat([xt, xt]), torch.cat([dt, dt]), torch.cat([t, t]), torch.cat([text_in, wt]),
                   torch.cat([mask_in, wm]), torch.cat([flag, flag]))
    wgt = train_dit.object_weights(x0, object_weight) if object_weight > 0 else torch.ones_like(x0[:, :1])
    err = (wgt * (vx[:b].float() - (ex - x0)) ** 2).mean(dim=(1, 2, 3, 4))
    err_wrong = (wgt * (vx[b:].float() - (ex - x0)) ** 2).mean(dim=(1, 2, 3, 4))
    fm = err.mean() + (wgt * (vd[:b].float() - (ed - d0)) ** 2).mean()
    use = (valid & ~drop).float()
    hinge = (torch.relu(DELTA - (err_wrong - err)) * use).sum() / use.sum().clamp(min=1)
    acc = state.setdefault("acc", [])
    acc.append((hinge.item(), ((err_wrong - err) * use).sum().item() / max(1.0, use.sum().item())))
    if len(acc) == 100:
        print(f"contrast: hinge {sum(a for a, _ in acc) / 100:.4f}  e_wrong - e_true {sum(g for _, g in acc) / 100:.4f}", flush=True)
        acc.clear()
    return fm + LAMBDA * hinge


train_dit.sample_batch = sample_batch
train_dit.flow_matching_loss = loss_with_contrast
train_dit.main(sys.argv[1:])
