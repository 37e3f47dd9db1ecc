"""Train a TextDecoder (text_decoder.py) on what the DiT actually hands the decoder.

The pairs: a dataset clip's latent, noised to t0 in [--t-min, --t-max] and sampled back to t = 0 by
the DiT at the package's default guidance (SDEdit): position, colour and motion survive from the
clip, the outline is the DiT's own blob. The target is the clip as rendered, the text one of its
captions. A share of each batch is the clip's clean latent (with the VAE run's latent noise), so
reconstruction is kept. The VAE encoder, its latent scaling and the DiT are untouched: every
denoiser, adapter and scene denoiser stays valid.

With --adv the decoder is also trained adversarially against caption_discriminator.py (a
generative decoder: a sharp outline that fits the words rather than the average one), and
--pool-recon lowpass holds the DiT-sample share to the target only at 1/8 resolution.

python -m vidlet_train.train_text_decoder --vae runs/ship/vae/final.pt --dit runs/ship/dit/final.pt \
    --data runs/data4b --out runs/tdec --pool 2000 --steps 3000 [--stop-after MIN]
"""
from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn.functional as F

from .dataset import load_shards
from .export import load_dit
from .guidance import COND, MOTION_DROPPED, UNCOND, combine_pass_major, plan_guidance
from .runtime import RunLog, autocast, lr_at, pick_device, rng_state, save_atomic, set_rng_state, use_bf16
from .caption_discriminator import CaptionDiscriminator, adaptive_weight, crop_at, d_hinge, object_centres
from .text_decoder import TextDecoder, from_vae_decoder
from .train_vae import edge_l1
from .vae import load_vae
from .world import render_clips
from .world.sample import ClipSpec


@torch.no_grad()
def sdedit(dit, x0, d0, text, mask, empty, empty_mask, t0, steps: int, plan) -> torch.Tensor:
    """x0 noised to t0 (per clip) and sampled back to 0 with Euler on the DiT, guided by `plan`."""
    n = x0.shape[0]
    e = torch.randn_like(x0)
    x = (1 - t0.view(-1, 1, 1, 1, 1)) * x0 + t0.view(-1, 1, 1, 1, 1) * e
    d = (1 - t0.view(-1, 1, 1, 1, 1)) * d0 + t0.view(-1, 1, 1, 1, 1) * torch.randn_like(d0)
    texts = {COND: (text, mask), UNCOND: (empty.expand(n, -1, -1), empty_mask.expand(n, -1)), MOTION_DROPPED: (text, mask)}
    B, dt = len(plan.passes), (t0 / steps).view(-1, 1, 1, 1, 1)
    for i in range(steps):
        t = t0 * (1 - i / steps)
        vx, vd = dit(torch.cat([x] * B), torch.cat([d] * B), t.repeat(B),
                     torch.cat([texts[p][0] for p in plan.passes]), torch.cat([texts[p][1] for p in plan.passes]),
                     torch.cat([torch.full((n,), 0.0 if p == MOTION_DROPPED else 1.0) for p in plan.passes]))
        x, d = x - dt * combine_pass_major(vx, plan, n), d - dt * combine_pass_major(vd, plan, n)
    return x


def build_pool(args, data, device) -> dict:
    """The SDEdit latents of the first --pool clips, one caption each; cached in --out."""
    path = os.path.join(args.out, f"pool-{args.pool}-{args.t_min}-{args.t_max}-{args.seed}.pt")
    if os.path.exists(path):
        return torch.load(path)
    dit = load_dit(args.dit, data["latent"].shape[1], data["latent"].shape[-1]).to(device)
    plan = plan_guidance(args.guidance, args.inner_guidance, has_motion=True)
    gen = torch.Generator().manual_seed(args.seed)
    k = data["text"].shape[1]
    caps = torch.randint(0, k, (args.pool,), generator=gen)
    t0s = args.t_min + (args.t_max - args.t_min) * torch.rand(args.pool, generator=gen)
    out, start = [], time.time()
    torch.manual_seed(args.seed)
    for i in range(0, args.pool, 16):
        idx = torch.arange(i, min(i + 16, args.pool))
        mask = data["mask"][idx, caps[idx]].float()
        L = max(2, int(mask.sum(1).max()))
        with autocast(device, args.bf16_on):
            z = sdedit(dit, data["latent"][idx].float(), data["motion"][idx].float(), data["text"][idx, caps[idx], :L].float(),
                       mask[:, :L], data["empty_text"][:, :L].float(), data["empty_mask"][:, :L].float(), t0s[idx],
                       args.sample_steps, plan)
        out.append(z.float().half())
        print(f"pool {i + len(idx)}/{args.pool} {time.time() - start:.0f}s", flush=True)
    pool = dict(latent=torch.cat(out), caption=caps, t0=t0s)
    save_atomic(pool, path)
    return pool


def recon_per_clip(rec: torch.Tensor, target: torch.Tensor, edge: float) -> torch.Tensor:
    """[B] the VAE run's reconstruction loss (squared + half absolute error + edge term), per clip."""
    dims = tuple(range(1, rec.dim()))
    e = torch.stack([edge_l1(r, t) for r, t in zip(rec, target)])
    return ((rec - target) ** 2).mean(dims) + 0.5 * (rec - target).abs().mean(dims) + edge * e


def lowpass_per_clip(rec: torch.Tensor, target: torch.Tensor, factor: int = 8) -> torch.Tensor:
    """[B] squared + half absolute error of 1/factor-resolution frames: colour and place, not outline."""
    lp = lambda v: F.avg_pool3d(v, (1, factor, factor))  # noqa: E731
    d = lp(rec) - lp(target)
    return (d ** 2).mean(dim=(1, 2, 3, 4)) + 0.5 * d.abs().mean(dim=(1, 2, 3, 4))


def frames_of(video: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """video [B, C, T, H, W], idx [B, k] -> frames [B*k, C, H, W]."""
    b = torch.arange(video.shape[0]).unsqueeze(1).expand_as(idx)
    return video.permute(0, 2, 1, 3, 4)[b.reshape(-1), idx.reshape(-1)]


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", required=True)
    ap.add_argument("--dit", required=True, help="the denoiser whose samples the decoder learns to finish")
    ap.add_argument("--data", required=True, help="a dataset folder (latents, captions' text states, specs)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pool", type=int, default=2000)
    ap.add_argument("--t-min", type=float, default=0.5)
    ap.add_argument("--t-max", type=float, default=0.9)
    ap.add_argument("--sample-steps", type=int, default=8)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--inner-guidance", type=float, default=2.0)
    ap.add_argument("--clean-share", type=float, default=0.3, help="share of samples decoded from the clip's own latent")
    ap.add_argument("--noise-max", type=float, default=0.2)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--stop-after", type=float, help="minutes")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--edge", type=float, default=0.5)
    ap.add_argument("--adv", type=float, default=0.0,
                    help="adversarial weight (caption_discriminator.py); 0 trains the plain regression decoder")
    ap.add_argument("--adv-start", type=int, default=300, help="steps the discriminator trains alone first")
    ap.add_argument("--d-lr", type=float, default=2e-4)
    ap.add_argument("--d-frames", type=int, default=4, help="frames of each clip the discriminator sees")
    ap.add_argument("--d-crop", type=int, default=0,
                    help="the discriminator sees SIZE-px crops centred on the rendered object (real and decoded "
                         "alike: the DiT's blob sits there) instead of whole frames; 0 = whole frames")
    ap.add_argument("--pool-recon", choices=["full", "lowpass"], default="full",
                    help="lowpass: the DiT-sample share is held to the target only at 1/8 resolution (colour "
                         "and place), leaving the outline to the adversarial term")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    args.bf16_on = use_bf16(args.bf16, device)
    os.makedirs(args.out, exist_ok=True)
    data = load_shards(args.data, limit=args.pool)
    pool = build_pool(args, data, device)
    vae = load_vae(args.vae)
    tdec: TextDecoder = from_vae_decoder(vae.decoder).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(tdec.parameters(), lr=args.lr, weight_decay=1e-4)
    disc = CaptionDiscriminator(data["text"].shape[-1]).to(device) if args.adv > 0 else None
    d_opt = torch.optim.Adam(disc.parameters(), lr=args.d_lr, betas=(0.0, 0.99)) if disc else None
    gen = torch.Generator().manual_seed(args.seed + 1)
    ckpt_path, step, wall = os.path.join(args.out, "ckpt.pt"), 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        tdec.load_state_dict(ck["decoder"]); opt.load_state_dict(ck["opt"]); set_rng_state(gen, ck["rng"])
        if disc:
            disc.load_state_dict(ck["disc"]); d_opt.load_state_dict(ck["d_opt"])
        step, wall = ck["step"], ck["wall"]
        print(f"resumed at step {step}", flush=True)
    log = RunLog(args.out, {k: v for k, v in vars(args).items() if k != "bf16_on"} | dict(vae_cfg=vae.cfg.to_dict()))
    specs = [ClipSpec.from_dict(s) for s in data["specs"]]
    scale, shift = vae.scale.to(device), vae.shift.to(device)
    start, last_ck, losses = time.time(), time.time(), []

    def save(path=ckpt_path, full=True):
        state = dict(decoder=tdec.state_dict(), vae_cfg=vae.cfg.to_dict(), vae=args.vae, dit=args.dit, step=step,
                     wall=wall + time.time() - start)
        if full:
            state.update(opt=opt.state_dict(), rng=rng_state(gen))
            if disc:
                state.update(disc=disc.state_dict(), d_opt=d_opt.state_dict())
        save_atomic(state, path)

    while step < args.steps:
        if args.stop_after is not None and time.time() - start > args.stop_after * 60:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        idx = torch.randint(0, args.pool, (args.batch,), generator=gen)
        clean = torch.rand(args.batch, generator=gen) < args.clean_share
        cap = torch.where(clean, torch.randint(0, data["text"].shape[1], (args.batch,), generator=gen), pool["caption"][idx])
        lat = torch.where(clean.view(-1, 1, 1, 1, 1), data["latent"][idx].float(), pool["latent"][idx].float())
        sigma = args.noise_max * torch.rand(args.batch, 1, 1, 1, 1, generator=gen) * clean.view(-1, 1, 1, 1, 1)
        lat = lat + sigma * torch.randn(lat.shape, generator=gen)
        mask = data["mask"][idx, cap].float()
        L = max(2, int(mask.sum(1).max()))
        text = data["text"][idx, cap, :L].float()
        target, _, silhouette = render_clips([specs[i] for i in idx.tolist()], lat.shape[2] * 4,
                                             lat.shape[-1] * vae.cfg.spatial, with_mask=True)
        target = target.to(device)
        with autocast(device, args.bf16_on):
            rec = tdec(lat.to(device) / scale + shift, text.to(device), mask[:, :L].to(device)).float()
        per_clip = recon_per_clip(rec, target, args.edge)
        if args.pool_recon == "lowpass":
            per_clip = torch.where(clean.to(device), per_clip, lowpass_per_clip(rec, target))
        loss = per_clip.mean()
        extra = {}
        if disc:
            fi = torch.randint(0, rec.shape[2], (args.batch, args.d_frames), generator=gen)
            fake, real = frames_of(rec, fi), frames_of(target, fi)
            if args.d_crop:
                cy, cx = object_centres(frames_of(silhouette.unsqueeze(1), fi)[:, 0])
                fake, real = crop_at(fake, cy, cx, args.d_crop), crop_at(real, cy, cx, args.d_crop)
            rep = lambda v: v.to(device).repeat_interleave(args.d_frames, 0)  # noqa: E731
            tx, mx = rep(text), rep(mask[:, :L])
            other = torch.roll(torch.arange(args.batch), 1)
            d_loss = d_hinge(disc(real, tx, mx), disc(fake.detach(), tx, mx), disc(real, rep(text[other]), rep(mask[other, :L])))
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            extra["d_loss"] = d_loss.item()
            if step >= args.adv_start:
                g_adv = -disc(fake, tx, mx).mean()
                w = args.adv * adaptive_weight(loss, g_adv, tdec.out.weight)
                loss = loss + w * g_adv
                extra.update(g_adv=g_adv.item(), w=w.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tdec.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append((loss.item(), extra))
        if step % 50 == 0:
            recent = losses[-50:]
            means = {k: round(sum(e[k] for _, e in recent if k in e) / max(1, sum(k in e for _, e in recent)), 5)
                     for k in ("d_loss", "g_adv", "w") if any(k in e for _, e in recent)}
            log.log(step=step, wall_s=round(wall + time.time() - start), loss=round(sum(v for v, _ in recent) / len(recent), 5),
                    lr=opt.param_groups[0]["lr"], **means)
        if time.time() - last_ck > 300:
            save(); last_ck = time.time()
    save()
    if step >= args.steps:
        save(os.path.join(args.out, "final.pt"), full=False)
        log.log(final=True, step=step, wall_s=round(wall + time.time() - start), seed=args.seed)


if __name__ == "__main__":
    main()
