"""Flow-DPO on proxy pairs from the procedural world, fine-tuning the whole DiT (issue #8's shape).

Votes between two takes of this model never differ in shape (reward/README.md "Flow-DPO from proxy
votes"), so they cannot teach it. Here the pair is made instead: the winner is the world's clip of
the caption, the loser the same clip with one attribute changed (pairs.alter_spec: same positions,
sizes, phases, colours and motion; only, say, the shape differs). Winner and loser share t and noise,
so everything but the changed attribute cancels from the loss, and its whole gradient is about what
the caption says of that attribute — the signal the plain flow-matching loss spreads thinly over
every pixel. The reference is a frozen copy of the starting DiT. PROXY data: the labels say what was
changed, nothing more.

    cd training && .venv/bin/python -m vidlet_train.reward.proxy_dpo --dit runs/ship/dit/final.pt \\
        --vae runs/ship/vae/final.pt --pairs 1500 --attributes shape --steps 1000 --out runs/proxy-dpo

writes <out>/final.pt in train_dit's final.pt layout ({cfg, ema, step}): `export --dit` takes it.
Captions never match a held-out evaluation prompt; specs with a held-out content key
(pairs.in_split) are not drawn.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import shlex
import sys
import time
from pathlib import Path
from typing import List

import torch

from ..dataset import _norm, held_out_prompts
from ..world.captions import recaption
from ..world.render import render_clips
from .flow_dpo_loss import PAPER_BETA, flow_dpo_loss
from .flow_dpo_train import LatentPair, draw_pairs, pair_errors
from .pairs import alter_spec, sample_spec, visibly_different


@torch.no_grad()
def build_pairs(base, n: int, seed: int, attributes: List[str], captions: int = 2, log=print) -> List[LatentPair]:
    """n (clip, altered clip) pairs, each under `captions` wordings of the true clip's caption."""
    rng, held = random.Random(seed), held_out_prompts()
    size, frames = base.video.height, base.video.frames
    pairs: List[LatentPair] = []
    made, skipped, start = 0, 0, time.time()
    while made < n:
        spec = sample_spec(rng, "train", frames)
        if len(spec.scenes) != 1:
            continue  # the one-scene denoiser is what is tuned
        alt = alter_spec(rng, spec, rng.choice(attributes))
        (v, f) = render_clips([spec, alt], frames, size)
        if not visibly_different(v[0], v[1]):
            skipped += 1
            continue
        x0, d0 = base.latents(v, f)
        words = [spec.caption] + [recaption(rng, spec) for _ in range(captions - 1)]
        for text in dict.fromkeys(words):
            if _norm(text) in held:
                continue
            pairs.append(LatentPair(x0[0], None if d0 is None else d0[0], x0[1], None if d0 is None else d0[1], text))
        made += 1
        if made % 200 == 0:
            log(f"pairs {made}/{n} ({skipped} invisible changes skipped) {time.time() - start:.0f}s")
    return pairs


def train_full(base, pairs: List[LatentPair], steps: int, batch: int, lr: float, beta: float,
               sft_weight: float, seed: int, log=print):
    """Flow-DPO on every DiT weight against a frozen copy; plus sft_weight × the winner's
    flow-matching error, which keeps the winner's likelihood from falling with the loser's."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    policy = base.dit
    reference = copy.deepcopy(policy).eval().requires_grad_(False)
    policy.requires_grad_(True).train()
    # the motion head's flag: the one-scene denoiser always runs with it on (checkpoint.velocity)
    ref_velocity = lambda xt, dt, t, text, mask: reference(xt, dt, t, text, mask, torch.ones(xt.shape[0]))
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    history, start = [], time.time()
    for step in range(1, steps + 1):
        idx = torch.randint(len(pairs), (min(batch, len(pairs)),), generator=gen).tolist()
        b = draw_pairs(base, [pairs[i] for i in idx], gen)
        with torch.no_grad():
            ref_w, ref_l = pair_errors(ref_velocity, b)
        th_w, th_l = pair_errors(base.velocity, b)
        dpo = flow_dpo_loss(th_w, ref_w, th_l, ref_l, beta=beta)
        loss = dpo + sft_weight * th_w.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        # margin > 0: the loser's error grew more than the winner's, relative to the reference
        margin = ((th_l - ref_l) - (th_w - ref_w)).mean().item()
        history.append(dict(step=step, dpo=round(dpo.item(), 5), margin=round(margin, 6),
                            winner_gain=round((ref_w - th_w).mean().item(), 6)))
        if step % 50 == 0 or step == steps:
            log(json.dumps({**history[-1], "wall_s": round(time.time() - start)}))
    policy.eval().requires_grad_(False)
    return history, time.time() - start


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dit", required=True, help="the DiT to start from (train_dit's final.pt layout)")
    ap.add_argument("--vae", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pairs", type=int, default=1500, help="clip pairs (each under --captions wordings)")
    ap.add_argument("--captions", type=int, default=2)
    ap.add_argument("--attributes", default="shape", help="comma-separated: colour, shape, background, motion")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--beta", type=float, default=PAPER_BETA, help=f"constant over t; the paper's is {PAPER_BETA:g}")
    ap.add_argument("--sft-weight", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)

    from ..adapters.checkpoint import load_base_model

    torch.set_num_threads(args.threads)
    attributes = [a.strip() for a in args.attributes.split(",") if a.strip()]
    base = load_base_model(args.dit, args.vae)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / f"pairs-{args.pairs}-{args.captions}-{'-'.join(attributes)}-{args.seed}.pt"
    if cache.exists():
        pairs = [LatentPair(**p) for p in torch.load(cache)]
    else:
        t0 = time.time()
        pairs = build_pairs(base, args.pairs, args.seed, attributes, args.captions)
        torch.save([p.__dict__ for p in pairs], cache)
        print(f"{len(pairs)} captioned pairs in {time.time() - t0:.0f}s -> {cache}")
    history, wall = train_full(base, pairs, args.steps, args.batch, args.lr, args.beta, args.sft_weight, args.seed)
    ck = torch.load(args.dit, map_location="cpu")
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "vidlet_train.reward.proxy_dpo", *(argv or sys.argv[1:])])
    run = dict(command=command, start=str(args.dit), clip_pairs=args.pairs, captioned_pairs=len(pairs), attributes=attributes, steps=args.steps,
               batch=args.batch, lr=args.lr, beta=args.beta, sft_weight=args.sft_weight, seed=args.seed,
               wall_s=round(wall), final=history[-1])
    torch.save(dict(cfg=ck["cfg"], ema=base.dit.state_dict(), step=ck.get("step", 0), proxy_dpo=run), args.out / "final.pt")
    (args.out / "run.json").write_text(json.dumps(run, indent=1) + "\n")
    (args.out / "history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    print(f"wrote {args.out}/final.pt after {args.steps} steps in {wall:.0f}s")


if __name__ == "__main__":
    main()
