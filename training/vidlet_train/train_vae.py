"""Train the video VAE (and the preview decoder) on rendered clips and their flow-as-RGB videos.

python -m vidlet_train.train_vae --out runs/vae --minutes 12 --seed 1
Resumable: rerunning with the same --out continues from the last checkpoint.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F

from .data import from_u8, random_crops, render_pool
from .vae import PreviewDecoder, VideoVAE


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a - b) / 2).pow(2).mean().item()  # [-1,1] -> [0,1] range
    return 10 * math.log10(1 / max(mse, 1e-10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/vae")
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--pool", type=int, default=384)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")

    vae, prev = VideoVAE(), PreviewDecoder()
    opt = torch.optim.AdamW(list(vae.parameters()) + list(prev.parameters()), lr=args.lr, weight_decay=1e-4)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        vae.load_state_dict(ck["vae"]); prev.load_state_dict(ck["preview"]); opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        print(f"resumed at step {step}", flush=True)

    t0 = time.time()
    _, vids, mots = render_pool(args.pool, seed=args.seed * 1000 + step)
    pool = torch.cat([vids, mots])
    _, hv, hm = render_pool(16, seed=999_999)  # held out: never trained on
    held = from_u8(torch.cat([hv, hm]))
    print(f"pool rendered in {time.time() - t0:.0f}s", flush=True)
    gen = torch.Generator().manual_seed(args.seed + step)
    start, last_ck = time.time(), time.time()
    total_steps = args.max_steps

    def save():
        torch.save(dict(vae=vae.state_dict(), preview=prev.state_dict(), opt=opt.state_dict(), step=step,
                        wall=wall + time.time() - start), ckpt_path)

    while step < total_steps and (time.time() - start) < args.minutes * 60:
        frac = min(1.0, (time.time() - start) / (args.minutes * 60))
        for g in opt.param_groups:
            g["lr"] = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        x = random_crops(pool, args.batch, args.crop, gen)
        rec, mu, logvar = vae(x)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()
        loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x) + 1e-5 * kl
        pv = prev(mu.detach())
        target = F.avg_pool3d(x, (4, 4, 4))
        loss = loss + F.mse_loss(pv, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f} kl {kl.item():.3f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{(time.time() - start):.0f}s", flush=True)
        if time.time() - last_ck > 120:
            save(); last_ck = time.time()

    # diffusion-space scaling from the pool's latents, and held-out PSNR
    vae.eval()
    with torch.no_grad():
        mus = torch.cat([vae.encode(from_u8(pool[i:i + 16]))[0] for i in range(0, min(len(pool), 128), 16)])
        vae.shift.fill_(mus.mean().item())
        vae.scale.fill_(1.0 / mus.std().item())
        rec = torch.cat([vae.decoder(vae.encode(held[i:i + 8])[0]) for i in range(0, len(held), 8)])
        n = len(held) // 2
        stats = dict(step=step, wall_s=round(wall + time.time() - start),
                     psnr_video=round(psnr(rec[:n].clamp(-1, 1), held[:n]), 2),
                     psnr_motion=round(psnr(rec[n:].clamp(-1, 1), held[n:]), 2),
                     shift=vae.shift.item(), scale=vae.scale.item(), seed=args.seed)
    save()
    torch.save(dict(vae=vae.state_dict(), preview=prev.state_dict()), os.path.join(args.out, "final.pt"))
    json.dump(stats, open(os.path.join(args.out, "stats.json"), "w"), indent=1)
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
