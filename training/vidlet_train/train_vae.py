"""Train the video VAE (and the preview decoder) on rendered clips and their flow-as-RGB videos.

python -m vidlet_train.train_vae --out runs/vae --steps 8000 --seed 1
Step-based and exactly resumable: rerunning the same command continues from runs/vae/ckpt.pt
(--stop-after MINUTES or --stop-at STEP end a session early; the LR schedule depends only on --steps).

The decoder learns on noised latents for a share of samples (--noise-share, up to --noise-max of each
channel's spread), as LTX-Video's decoder does, so the denoiser's small latent errors decode to a
slightly different clean picture rather than to coloured noise. --decoder-from fine-tunes only the
decoder of a trained VAE (encoder and latent scaling frozen: a DiT trained on its latents stays valid).
"""
from __future__ import annotations

import argparse
import math
import os
import time

import torch
import torch.nn.functional as F

from .data import from_u8, random_crops, render_pool
from .runtime import (RunLog, autocast, lr_at, pick_device, rng_state, save_atomic, set_rng_state,
                      use_bf16)
from .vae import PreviewDecoder, VAEConfig, VideoVAE

HELD_OUT_SEED = 999_999  # the held-out clips: never in a training pool


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a - b) / 2).pow(2).mean().item()  # [-1,1] -> [0,1] range
    return 10 * math.log10(1 / max(mse, 1e-10))


def edge_l1(rec: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L1 between horizontal and vertical pixel differences: rewards sharp, well-placed edges."""
    dx = lambda v: v[..., :, 1:] - v[..., :, :-1]  # noqa: E731
    dy = lambda v: v[..., 1:, :] - v[..., :-1, :]  # noqa: E731
    return F.l1_loss(dx(rec), dx(x)) + F.l1_loss(dy(rec), dy(x))


@torch.no_grad()
def fit_scaling(vae: VideoVAE, pool: torch.Tensor, device) -> None:
    """Per-channel shift and scale so diffusion-space latents have mean 0 and std 1."""
    mus = torch.cat([vae.encode(from_u8(pool[i:i + 8]).to(device))[0].float()
                     for i in range(0, min(len(pool), 256), 8)])
    vae.shift.copy_(mus.mean(dim=(0, 2, 3, 4))[:, None, None, None])
    vae.scale.copy_(1.0 / mus.std(dim=(0, 2, 3, 4))[:, None, None, None])


@torch.no_grad()
def held_out_psnr(vae: VideoVAE, held: torch.Tensor, device, bf16: bool) -> tuple[float, float]:
    vae.eval()
    with autocast(device, bf16):
        rec = torch.cat([vae.decoder(vae.encode(held[i:i + 4].to(device))[0]).float().cpu()
                         for i in range(0, len(held), 4)])
    vae.train()
    n = len(held) // 2
    return psnr(rec[:n].clamp(-1, 1), held[:n]), psnr(rec[n:].clamp(-1, 1), held[n:])


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/vae")
    ap.add_argument("--steps", type=int, default=8000, help="schedule length")
    ap.add_argument("--stop-after", type=float, default=None, help="minutes: save and stop early")
    ap.add_argument("--stop-at", type=int, default=None, help="step: save and stop early")
    ap.add_argument("--pool", type=int, default=1024, help="clips rendered per pool (video + motion each)")
    ap.add_argument("--refresh", type=int, default=1000, help="steps between fresh pools")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--kl", type=float, default=1e-6)
    ap.add_argument("--edge", type=float, default=0.0, help="weight of the edge L1 loss")
    ap.add_argument("--noise-share", type=float, default=0.5)
    ap.add_argument("--noise-max", type=float, default=0.2)
    ap.add_argument("--decoder-from", default=None, help="a trained VAE: fine-tune its decoder only")
    ap.add_argument("--warm-from", default=None,
                    help="a compact checkpoint (weights, step, wall; no optimizer): continue its schedule "
                         "from its step with a fresh optimizer — close to, not exactly, an uninterrupted run")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--held-out", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    for k, v in VAEConfig().to_dict().items():
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")

    if args.decoder_from:
        base = torch.load(args.decoder_from, map_location="cpu")
        cfg = VAEConfig(**base["cfg"])
    else:
        cfg = VAEConfig(**{k: getattr(args, k) for k in VAEConfig().to_dict()})
    vae, prev = VideoVAE(cfg).to(device), PreviewDecoder(cfg.latent_channels, spatial=cfg.spatial).to(device)
    if args.decoder_from:
        vae.load_state_dict(base["vae"]); prev.load_state_dict(base["preview"])
        vae.encoder.requires_grad_(False)
    vae = vae.to(memory_format=torch.channels_last)
    params = [p for p in list(vae.parameters()) + list(prev.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(args.seed)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        vae.load_state_dict(ck["vae"]); prev.load_state_dict(ck["preview"]); opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        set_rng_state(gen, ck["rng"])
        print(f"resumed at step {step}", flush=True)
    elif args.warm_from:
        ck = torch.load(args.warm_from, map_location="cpu", weights_only=False)
        if VAEConfig(**ck["cfg"]) != cfg:
            raise SystemExit(f"--warm-from {args.warm_from}: its VAE config {ck['cfg']} is not this run's {cfg.to_dict()}")
        vae.load_state_dict({k: v.float() for k, v in ck["vae"].items()})
        prev.load_state_dict({k: v.float() for k, v in ck["preview"].items()})
        step, wall = ck["step"], ck["wall"]
        print(f"warm start at step {step} from {args.warm_from}", flush=True)
    log = RunLog(args.out, dict(vars(args), vae=cfg.to_dict(), bf16=bf16, device=str(device)))

    _, hv, hm = render_pool(args.held_out, seed=HELD_OUT_SEED)
    held = from_u8(torch.cat([hv, hm]))
    pool, pool_id = None, None
    start, last_ck = time.time(), time.time()

    def save(path=ckpt_path, full=True):
        state = dict(vae=vae.state_dict(), preview=prev.state_dict(), cfg=cfg.to_dict(), step=step,
                     wall=wall + time.time() - start)
        if full:
            state.update(opt=opt.state_dict(), rng=rng_state(gen))
        save_atomic(state, path)

    stop = min(args.steps, args.stop_at or args.steps)
    losses = []
    while step < stop:
        if args.stop_after is not None and time.time() - start > args.stop_after * 60:
            break
        if pool_id != step // args.refresh:  # a pure function of the step: resume renders the same pool
            pool_id = step // args.refresh
            _, v, m = render_pool(args.pool, seed=args.seed * 1_000_003 + pool_id)
            pool = torch.cat([v, m])
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        x = random_crops(pool, args.batch, args.crop, gen).to(device)
        with autocast(device, bf16):
            mu, logvar = vae.encode(x)
            z = mu + torch.randn(mu.shape, generator=gen).to(device) * torch.exp(0.5 * logvar.clamp(-20, 5))
            # noised latents for a share of samples: sigma up to noise_max of each channel's spread
            spread = mu.detach().float().std(dim=(0, 2, 3, 4), keepdim=True)
            sigma = torch.rand(x.shape[0], 1, 1, 1, 1, generator=gen).to(device) * args.noise_max
            noisy = (torch.rand(x.shape[0], 1, 1, 1, 1, generator=gen) < args.noise_share).float().to(device)
            z = z + noisy * sigma * spread * torch.randn(z.shape, generator=gen).to(device)
            rec = vae.decoder(z).float()
            pv = prev(mu.detach()).float()
        kl = 0.5 * (mu.float().pow(2) + logvar.float().exp() - 1 - logvar.float()).mean()
        loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x) + args.kl * kl
        if args.edge:
            loss = loss + args.edge * edge_l1(rec, x)
        loss = loss + F.mse_loss(pv, F.avg_pool3d(x, (4, 4, 4)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            print(f"step {step} loss {sum(losses[-50:]) / 50:.4f} kl {kl.item():.3f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{wall + time.time() - start:.0f}s", flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            pv_, pm_ = held_out_psnr(vae, held, device, bf16)
            log.log(step=step, wall_s=round(wall + time.time() - start), loss=round(sum(losses[-50:]) / len(losses[-50:]), 5),
                    psnr_video=round(pv_, 2), psnr_motion=round(pm_, 2))
        if time.time() - last_ck > 300:
            save(); last_ck = time.time()

    if not args.decoder_from:
        fit_scaling(vae, pool, device)
    save()
    if step >= args.steps:
        pv_, pm_ = held_out_psnr(vae, held, device, bf16)
        save(os.path.join(args.out, "final.pt"), full=False)
        log.log(final=True, step=step, wall_s=round(wall + time.time() - start), psnr_video=round(pv_, 2),
                psnr_motion=round(pm_, 2), seed=args.seed)


if __name__ == "__main__":
    main()
