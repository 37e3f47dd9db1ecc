"""Train the joint appearance-motion DiT (VideoJAM) with flow matching on the cached dataset.

python -m vidlet_train.train_dit --data runs/data --out runs/dit --steps 60000 --seed 3
Step-based and exactly resumable: rerunning the same command continues from runs/dit/ckpt.pt
(--stop-after MINUTES or --stop-at STEP end a session early; the LR schedule depends only on --steps).
runs/dit/final.pt (the EMA weights, what is exported) is rewritten every --final-every minutes.
Conventions (docs/model-package.md): x_t = (1-t) x + t eps, target v = eps - x.
"""
from __future__ import annotations

import argparse
import copy
import os
import time

import torch

from .dataset import load_shards
from .dit import DiTConfig, VideoDiT
from .silhouettes import load_silhouettes, silhouette_loss
from .runtime import (RunLog, autocast, lr_at, pick_device, rng_state, save_atomic, set_rng_state,
                      use_bf16)
from .timesteps import sample_t

TEXT_DROP = 0.10    # VideoJAM / CFG: learn u(x, d, empty)
MOTION_DROP = 0.15  # VideoJAM: learn u(x, empty-motion, y)


def object_weights(x0: torch.Tensor, strength: float) -> torch.Tensor:
    """[B, 1, T, H, W] loss weights, mean 1: 1 + strength x how far each latent position is from its
    frame's median (the background, in this world's clips), normalised per clip. A small object is a
    few latent positions of 256; unweighted, the MSE is nearly all background."""
    b, c, t, h, w = x0.shape
    flat = x0.reshape(b, c, t, h * w)
    dev = (flat - flat.median(-1, keepdim=True).values).pow(2).sum(1).sqrt()  # [B, T, HW]
    dev = dev / dev.amax(dim=(1, 2), keepdim=True).clamp(min=1e-6)
    wgt = 1 + strength * dev.reshape(b, 1, t, h, w)
    return wgt / wgt.mean(dim=(2, 3, 4), keepdim=True)


def temporal_difference_loss(err: torch.Tensor, same_scene: torch.Tensor | None = None) -> torch.Tensor:
    """Mean square of the change in velocity error [B, C, T, H, W] between adjacent latent frames
    (only pairs in the same scene, same_scene [T - 1] bool). An error shared by neighbouring frames
    costs nothing here; one that differs from frame to frame is what a viewer sees as a jump at a
    latent-frame boundary, so this term pushes the errors to be consistent in time."""
    d2 = (err[:, :, 1:] - err[:, :, :-1]).pow(2).mean(dim=(0, 1, 3, 4))  # [T - 1]
    if same_scene is None:
        return d2.mean()
    keep = same_scene.to(d2.device, d2.dtype)
    return (d2 * keep).sum() / keep.sum().clamp(min=1)


def flow_matching_loss(model, batch, gen, text_drop=TEXT_DROP, motion_drop=MOTION_DROP, object_weight=0.0,
                       text_frame_mask=None, temporal_weight=0.0, same_scene=None, mask_weight=0.0):
    """text_frame_mask [B, t, L'] (multi-scene batches, train_scenes): empty_text then holds the
    empty caption once per text segment, so a dropped caption empties every segment (scenes.py).
    temporal_weight > 0 adds temporal_difference_loss on the video velocity (same_scene: which
    adjacent latent frames share a scene; None = all). mask_weight > 0 adds the mask head's
    silhouette loss (silhouettes.py) against batch[6]."""
    x0, d0, text, mask, empty_text, empty_mask = batch[:6]
    b, dev = x0.shape[0], x0.device
    t = sample_t(b, gen).to(dev)
    ex, ed = torch.randn(x0.shape, generator=gen).to(dev), torch.randn(d0.shape, generator=gen).to(dev)
    tt = t[:, None, None, None, None]
    xt, dt = (1 - tt) * x0 + tt * ex, (1 - tt) * d0 + tt * ed
    drop_text = (torch.rand(b, generator=gen) < text_drop).to(dev)
    text = torch.where(drop_text[:, None, None], empty_text.expand_as(text), text)
    mask = torch.where(drop_text[:, None], empty_mask.expand_as(mask), mask)
    flag = (torch.rand(b, generator=gen) >= motion_drop).float().to(dev)
    if mask_weight > 0:
        vx, vd, sil = model(xt, dt, t, text, mask, flag, text_frame_mask=text_frame_mask, with_mask=True)
    else:
        vx, vd = model(xt, dt, t, text, mask, flag, text_frame_mask=text_frame_mask)
    wgt = object_weights(x0, object_weight) if object_weight > 0 else 1.0
    err_x = vx.float() - (ex - x0)
    loss = (wgt * err_x ** 2).mean() + (wgt * (vd.float() - (ed - d0)) ** 2).mean()
    if temporal_weight > 0:
        loss = loss + temporal_weight * temporal_difference_loss(err_x, same_scene)
    if mask_weight > 0:
        loss = loss + mask_weight * silhouette_loss(sil, batch[6])
    return loss


def sample_batch(data: dict, batch: int, gen: torch.Generator, device) -> tuple:
    """Random clips, each with one of its captions; text trimmed to the batch's longest caption
    (keys past it are masked out anyway, so dropping them changes nothing but the cost). A dataset
    with silhouettes (train_dit --mask-head) adds them as a 7th element, as stored (uint8)."""
    n, k = data["text"].shape[:2]
    idx = torch.randint(0, n, (batch,), generator=gen)
    cap = torch.randint(0, k, (batch,), generator=gen)
    mask = data["mask"][idx, cap]
    n_tok = max(2, int(mask.sum(1).max()))
    f = lambda x: x.float().to(device)  # noqa: E731
    out = (f(data["latent"][idx]), f(data["motion"][idx]), f(data["text"][idx, cap, :n_tok]), f(mask[:, :n_tok]),
           f(data["empty_text"][:, :n_tok]), f(data["empty_mask"][:, :n_tok]))
    if "silhouette" in data:
        out += (data["silhouette"][idx].to(device),)
    return out


def add_run_args(ap: argparse.ArgumentParser, steps: int, lr: float, warmup: int) -> None:
    """The flags every DiT training run shares (train_dit, train_scenes): schedule, stops, resume."""
    ap.add_argument("--out", default="runs/dit")
    ap.add_argument("--steps", type=int, default=steps, help="schedule length")
    ap.add_argument("--stop-after", type=float, default=None, help="minutes: save and stop early")
    ap.add_argument("--stop-at", type=int, default=None, help="step: save and stop early")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--object-weight", type=float, default=0.0,
                    help="weight latent positions far from their frame's median up to 1 + this (0 = plain MSE)")
    ap.add_argument("--limit-clips", type=int, default=None)
    ap.add_argument("--final-every", type=float, default=5, help="minutes between final.pt (EMA) writes")
    ap.add_argument("--warm-from", default=None,
                    help="a compact checkpoint (ema, optional model; step, wall; no optimizer): continue its "
                         "schedule from its step with a fresh optimizer — close to, not exactly, an uninterrupted run")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="runs/data")
    add_run_args(ap, steps=60000, lr=5e-4, warmup=500)
    ap.add_argument("--init-from", default=None,
                    help="a checkpoint whose EMA weights start the run at step 0 of this run's own schedule")
    for k in ARCH_ARGS:
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=getattr(DiTConfig(), k))
    ap.add_argument("--mask-weight", type=float, default=0.0,
                    help="weight of the mask head's silhouette loss (needs --mask-head > 0)")
    args = ap.parse_args(argv)
    if (args.mask_head > 0) != (args.mask_weight > 0):
        ap.error("--mask-head and --mask-weight go together: a head nobody trains, or a loss without a head")
    return args


ARCH_ARGS = ("patch", "dim", "depth", "heads", "mlp_ratio", "text_adapter", "mask_head")


def load_weights(module, state: dict) -> None:
    """load_state_dict, where only the training-only mask head may be absent from either side
    (a checkpoint trained without it starts one, one trained with it loads into a model without)."""
    own = {k for k in module.state_dict() if k.startswith("mask_out.")}
    res = module.load_state_dict({k: v for k, v in state.items() if k in own or not k.startswith("mask_out.")},
                                 strict=False)
    missing = [k for k in res.missing_keys if not k.startswith("mask_out.")]
    if missing or res.unexpected_keys:
        raise RuntimeError(f"checkpoint does not fit the model: missing {missing}, unexpected {res.unexpected_keys}")


def load_compact(path: str) -> dict:
    """A compact or final checkpoint's weights in fp32: {cfg, ema, model (ema if absent), step, wall}."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    ema = {k: v.float() for k, v in ck["ema"].items()}
    return dict(cfg=ck["cfg"], ema=ema, model={k: v.float() for k, v in ck.get("model", ck["ema"]).items()},
                step=ck.get("step", 0), wall=ck.get("wall", 0.0))


def fit(args, cfg: DiTConfig, device, bf16: bool, draw, loss_of, run_info: dict, start: dict | None = None,
        trainable=None) -> None:
    """The loop every DiT run shares, exactly resumable: rerunning continues from out/ckpt.pt; else
    --warm-from continues a compact checkpoint's schedule; else `start` (weights, step 0) or a fresh
    model. draw(gen) makes a batch (outside autocast: it only gathers and casts stored tensors);
    loss_of(model, batch, gen) is its loss (under autocast). trainable(name) picks the parameters the
    optimizer moves (default: all); the others stay as loaded."""
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    model = VideoDiT(cfg).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    if trainable is not None:
        for name, p in model.named_parameters():
            p.requires_grad_(trainable(name))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"]); ema.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        set_rng_state(gen, ck["rng"])
        print(f"resumed at step {step}", flush=True)
    elif args.warm_from:
        ck = load_compact(args.warm_from)
        if DiTConfig(**{**ck["cfg"], "mask_head": cfg.mask_head}) != cfg:
            raise SystemExit(f"--warm-from {args.warm_from}: its DiT config {ck['cfg']} is not this run's {cfg.to_dict()}")
        load_weights(ema, ck["ema"]); load_weights(model, ck["model"])
        step, wall = ck["step"], ck["wall"]
        print(f"warm start at step {step} from {args.warm_from}", flush=True)
    elif start is not None:
        load_weights(ema, start["ema"]); load_weights(model, start["ema"])
    log = RunLog(args.out, dict(vars(args), dit=cfg.to_dict(), bf16=bf16, device=str(device), **run_info))
    t_start, last_ck, last_final, losses = time.time(), time.time(), time.time(), []

    def save():
        save_atomic(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step,
                         wall=wall + time.time() - t_start, cfg=cfg.to_dict(), rng=rng_state(gen)), ckpt_path)

    def save_final():
        save_atomic(dict(ema=ema.state_dict(), cfg=cfg.to_dict(), step=step), os.path.join(args.out, "final.pt"))

    stop = min(args.steps, args.stop_at or args.steps)
    while step < stop:
        if args.stop_after is not None and time.time() - t_start > args.stop_after * 60:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        batch = draw(gen)
        with autocast(device, bf16):
            loss = loss_of(model, batch, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - decay)
        losses.append(loss.item())
        if step % 100 == 0:
            log.log(step=step, wall_s=round(wall + time.time() - t_start), loss=round(sum(losses[-100:]) / len(losses[-100:]), 5),
                    lr=opt.param_groups[0]["lr"])
        if time.time() - last_ck > 300:
            save(); last_ck = time.time()
        if time.time() - last_final > args.final_every * 60:
            save_final(); last_final = time.time()
    save()
    save_final()
    log.log(end=True, step=step, wall_s=round(wall + time.time() - t_start), seed=args.seed)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    data = load_shards(args.data, args.limit_clips)
    zc, T, H, W = data["latent"].shape[1:]
    cfg = DiTConfig(latent_channels=zc, frames=T, height=H, width=W, **{k: getattr(args, k) for k in ARCH_ARGS})
    start = None
    if args.init_from:
        start = load_compact(args.init_from)
        if DiTConfig(**{**start["cfg"], "mask_head": cfg.mask_head}) != cfg:
            raise SystemExit(f"--init-from {args.init_from}: its DiT config {start['cfg']} is not this run's {cfg.to_dict()}")
    if cfg.mask_head:
        data["silhouette"] = load_silhouettes(args.data, data["specs"], T, H * cfg.mask_head)

    fit(args, cfg, device, bf16, lambda gen: sample_batch(data, args.batch, gen, device),
        lambda model, batch, gen: flow_matching_loss(model, batch, gen, object_weight=args.object_weight,
                                                     mask_weight=args.mask_weight),
        dict(clips=len(data["latent"]), init_from=args.init_from), start=start)


if __name__ == "__main__":
    main()
