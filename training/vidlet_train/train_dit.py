"""Train the joint appearance-motion DiT (VideoJAM) with flow matching on the cached dataset.

python -m vidlet_train.train_dit --data runs/data.pt --out runs/dit --minutes 30 --seed 3
Resumable: rerunning with the same --out continues from the last checkpoint.
Conventions (docs/model-package.md): x_t = (1-t) x + t eps, target v = eps - x.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time

import torch

from .dit import DiTConfig, VideoDiT

TEXT_DROP = 0.10    # VideoJAM / CFG: learn u(x, d, empty)
MOTION_DROP = 0.15  # VideoJAM: learn u(x, empty-motion, y)


def flow_matching_loss(model, batch, gen, text_drop=TEXT_DROP, motion_drop=MOTION_DROP):
    x0, d0, text, mask, empty_text, empty_mask = batch
    b = x0.shape[0]
    # half logit-normal (weight mid-trajectory), half uniform: logit-normal alone almost never shows
    # the model t > 0.95, yet sampling starts at t = 1 and the first steps fix the layout and colours
    t = torch.where(torch.rand(b, generator=gen) < 0.5, torch.sigmoid(torch.randn(b, generator=gen)),
                    torch.rand(b, generator=gen))
    ex, ed = torch.randn(x0.shape, generator=gen), torch.randn(d0.shape, generator=gen)
    tt = t[:, None, None, None, None]
    xt, dt = (1 - tt) * x0 + tt * ex, (1 - tt) * d0 + tt * ed
    drop_text = torch.rand(b, generator=gen) < text_drop
    text = torch.where(drop_text[:, None, None], empty_text.expand_as(text), text)
    mask = torch.where(drop_text[:, None], empty_mask.expand_as(mask), mask)
    flag = (torch.rand(b, generator=gen) >= motion_drop).float()
    vx, vd = model(xt, dt, t, text, mask, flag)
    return ((vx - (ex - x0)) ** 2).mean() + ((vd - (ed - d0)) ** 2).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="runs/data.pt")
    ap.add_argument("--out", default="runs/dit")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--max-steps", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    data = torch.load(args.data)
    n = data["latent"].shape[0]
    cfg = DiTConfig(latent_channels=data["latent"].shape[1])
    model = VideoDiT(cfg)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"]); ema.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        print(f"resumed at step {step}", flush=True)
    gen = torch.Generator().manual_seed(args.seed * 7919 + step)
    start, last_ck, losses = time.time(), time.time(), []

    def save():
        torch.save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step,
                        wall=wall + time.time() - start, cfg=cfg.to_dict()), ckpt_path)

    while step < args.max_steps and (time.time() - start) < args.minutes * 60:
        frac = (time.time() - start) / (args.minutes * 60)
        warm = min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        idx = torch.randint(0, n, (args.batch,), generator=gen)
        # keys past the batch's longest caption are masked out anyway: dropping them changes nothing
        # but the cost of cross-attention
        n_tok = max(2, int(data["mask"][idx].sum(1).max()))
        batch = (data["latent"][idx].float(), data["motion"][idx].float(), data["text"][idx, :n_tok].float(),
                 data["mask"][idx, :n_tok].float(), data["empty_text"][:, :n_tok].float(),
                 data["empty_mask"][:, :n_tok].float())
        loss = flow_matching_loss(model, batch, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        decay = min(0.995, (1 + step) / (10 + step))  # short CPU runs: a ~200-step horizon
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - decay)
        losses.append(loss.item())
        if step % 25 == 0:
            print(f"step {step} loss {sum(losses[-25:]) / 25:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{time.time() - start:.0f}s", flush=True)
        if time.time() - last_ck > 180:
            save(); last_ck = time.time()
    save()
    torch.save(dict(ema=ema.state_dict(), cfg=cfg.to_dict()), os.path.join(args.out, "final.pt"))
    stats = dict(step=step, wall_s=round(wall + time.time() - start), batch=args.batch, lr=args.lr,
                 seed=args.seed, final_loss=round(sum(losses[-100:]) / max(1, len(losses[-100:])), 4),
                 clips=n)
    json.dump(stats, open(os.path.join(args.out, "stats.json"), "w"), indent=1)
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
