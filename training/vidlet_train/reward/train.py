"""Train the reward model on proxy preference pairs (pairs.py), optionally with the embedded model's own
judged generations (own.py), by Bradley–Terry with ties (θ = 5) or plain Bradley–Terry.

python -m vidlet_train.reward.train --out runs/reward --steps 6000 --loss btt --seed 1 [--own-clips DIR]

Step-based and exactly resumable: rerunning the same command continues from <out>/ckpt.pt (--stop-after
MINUTES or --stop-at STEP end a session early; the schedule depends only on --steps). Pools of training
pairs are a pure function of (--seed, step // --refresh), so a resumed run sees the same pairs.
Writes run.json and log.jsonl (runtime.RunLog), eval.json (the latest held-out evaluation,
metrics.py), and final.pt (weights + config) when --steps is reached.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from ..runtime import RunLog, autocast, lr_at, pick_device, rng_state, save_atomic, set_rng_state, use_bf16
from .btt import A, B, TIE, pair_loss
from .metrics import evaluate
from .model import RewardConfig, RewardModel, count_params
from .own import load_own_pairs
from .pairs import FAMILY_WEIGHTS, generate_pairs
from .pairset import PairSet, TextEncoder, from_u8

HELD_OUT_SEED = 999_999  # held-out pairs (held-out prompt keys only)
CALIB_SEED = 777_777  # training-split pairs that fit the tie threshold ε of the calibrated accuracy


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/reward")
    ap.add_argument("--steps", type=int, default=6000, help="schedule length")
    ap.add_argument("--loss", choices=["btt", "bt"], default="btt")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--own-clips", default=None, help="folder of judged generations (own.py); optional")
    ap.add_argument("--own-share", type=float, default=0.25, help="share of each batch drawn from --own-clips pairs")
    ap.add_argument("--init-from", default=None,
                    help="a compact or final checkpoint (model + cfg + loss) whose weights start a new schedule at step 0; "
                         "ignored once <out>/ckpt.pt exists (a resume continues that run)")
    ap.add_argument("--stop-after", type=float, default=None, help="minutes: save and stop early")
    ap.add_argument("--stop-at", type=int, default=None, help="step: save and stop early")
    ap.add_argument("--batch", type=int, default=16, help="pairs per step (2 clips each)")
    ap.add_argument("--pool", type=int, default=512, help="pairs rendered per pool")
    # a 128-pair pool reused for 100 steps of 8 (6 passes) was visibly overfitted: the loss jumped from
    # 0.52 to 0.80 on the next pool (smoke run, README.md); 512 pairs per 100 steps of 16 is ~3 passes
    ap.add_argument("--refresh", type=int, default=100, help="steps between fresh pools")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--held-out", type=int, default=600, help="held-out pairs")
    ap.add_argument("--calib", type=int, default=300, help="calibration pairs for the tie threshold (0: none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--widths", default="32,64,128", help="channels per stage")
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--match", type=int, default=16, help="features that are clip-prompt agreement products (model.py)")
    ap.add_argument("--mismatch", type=float, default=0.5,
                    help="share of each batch's pairs that also give a clip-vs-another-prompt TA pair (0: none)")
    ap.add_argument("--size", type=int, default=128, help="the package's video height = width (vidlet-tiny: 128)")
    return ap.parse_args(argv)


def mismatched(batch: PairSet, share: float, gen: torch.Generator) -> tuple:
    """Easy TA pairs made from the batch itself: a clip under its own prompt against the same clip
    under another pair's prompt (the batch rolled by one). Another prompt of the procedural world
    names other attributes almost always, so its own prompt wins TA; VQ and MQ tie, since the pixels
    are the same, which also teaches those two dimensions to ignore the prompt. The clip is the one
    its pair does not mark as the TA loser (an altered spec's clip would agree less with its prompt).
    Pairs whose rolled prompt is the same text are left out. The hard TA pairs (one attribute
    changed) come from pairs.py; these give the text-video binding many more examples per render.
    -> () or (clips, text, mask, index into the batch, whether the clip is take b, outcomes)."""
    k = int(round(len(batch) * share))
    if k == 0 or len(batch) < 2:
        return ()
    idx = torch.randperm(len(batch), generator=gen)[:k]
    other = (idx + 1) % len(batch)
    texts = [batch.text[i] for i in range(len(batch))]
    keep = torch.tensor([not torch.equal(texts[i], texts[j]) for i, j in zip(idx.tolist(), other.tolist())])
    idx, other = idx[keep], other[keep]
    if len(idx) == 0:
        return ()
    is_b = batch.outcomes[idx, 2] == B
    clips = torch.where(is_b[:, None, None, None, None], batch.b[idx], batch.a[idx])
    outcomes = torch.full((len(idx), 3), TIE, dtype=torch.long)
    outcomes[:, 2] = A
    return clips, batch.text[other], batch.mask[other], idx, is_b, outcomes


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    os.makedirs(args.out, exist_ok=True)

    cfg = RewardConfig(size=args.size, widths=[int(w) for w in args.widths.split(",")], features=args.features, match=args.match)
    model = RewardModel(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if ck["cfg"] != cfg.to_dict() or ck["loss"] != args.loss:
            raise SystemExit(f"{ckpt_path} was trained with {ck['cfg']} and loss {ck['loss']}, not this command's "
                             f"{cfg.to_dict()} and {args.loss}: use another --out or the same settings")
        model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        set_rng_state(gen, ck["rng"])
        print(f"resumed at step {step}", flush=True)
    elif args.init_from:
        start_ck = torch.load(args.init_from, map_location="cpu", weights_only=False)
        if start_ck["cfg"] != cfg.to_dict() or start_ck["loss"] != args.loss:
            raise SystemExit(f"--init-from {args.init_from}: trained with {start_ck['cfg']} and loss {start_ck['loss']}, "
                             f"not this command's {cfg.to_dict()} and {args.loss}")
        model.load_state_dict(start_ck["model"])
        print(f"weights from {args.init_from} (its step {start_ck.get('step')}), new schedule from step 0", flush=True)
    log = RunLog(args.out, dict(vars(args), model=cfg.to_dict(), params=count_params(model), bf16=bf16,
                                device=str(device), family_weights=FAMILY_WEIGHTS,
                                data="proxy preference pairs (vidlet_train/reward/pairs.py)"
                                     + (" + judged own generations" if args.own_clips else "")))

    encoder = TextEncoder()
    t0 = time.time()
    held = PairSet.build(generate_pairs(args.held_out, HELD_OUT_SEED, "held-out", cfg.size, cfg.frames), encoder)
    calib = PairSet.build(generate_pairs(args.calib, CALIB_SEED, "train", cfg.size, cfg.frames), encoder) if args.calib else None
    own_train = own_held = None
    if args.own_clips:
        tr, he = load_own_pairs(args.own_clips, cfg.frames, cfg.size)
        own_train = PairSet.build(tr, encoder) if tr else None
        own_held = PairSet.build(he, encoder) if he else None
        print(f"own clips: {len(tr)} training pairs, {len(he)} held-out pairs", flush=True)
    print(f"evaluation sets ready in {time.time() - t0:.0f}s", flush=True)

    def run_eval(final: bool = False) -> dict:
        result = {"step": step, "loss": args.loss, "seed": args.seed, "final": final,
                  "wall_s": round(wall + time.time() - start), "data": "proxy preference pairs",
                  "held_out": evaluate(model, held, args.loss, calib)}
        if own_held is not None:
            result["own_held_out"] = evaluate(model, own_held, args.loss, None)
        json.dump(result, open(os.path.join(args.out, "eval.json"), "w"), indent=1)
        summary = {f"{d}_{k}": result["held_out"][d][k] for d in ("VQ", "MQ", "TA")
                   for k in ("acc_without_ties", "acc_with_ties", "acc_with_ties_calibrated") if k in result["held_out"][d]}
        log.log(eval=True, step=step, final=final, wall_s=result["wall_s"], **summary)
        return result

    def save(path=ckpt_path, full=True):
        state = dict(model=model.state_dict(), cfg=cfg.to_dict(), loss=args.loss, step=step,
                     wall=wall + time.time() - start)
        if full:
            state.update(opt=opt.state_dict(), rng=rng_state(gen))
        save_atomic(state, path)

    pool, pool_id = None, None
    start, last_ck = time.time(), time.time()
    stop = min(args.steps, args.stop_at or args.steps)
    losses, step_times = [], []
    while step < stop:
        if args.stop_after is not None and time.time() - start > args.stop_after * 60:
            break
        if pool_id != step // args.refresh:  # a pure function of the step: a resumed run renders the same pool
            pool_id = step // args.refresh
            t = time.time()
            pool = PairSet.build(generate_pairs(args.pool, args.seed * 1_000_003 + pool_id, "train", cfg.size, cfg.frames), encoder)
            log.log(pool=pool_id, pairs=len(pool), render_s=round(time.time() - t, 1))
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        t = time.time()
        n_own = int(round(args.batch * args.own_share)) if own_train is not None else 0
        parts = [pool.take(torch.randint(0, len(pool), (args.batch - n_own,), generator=gen))]
        if n_own:
            parts.append(own_train.take(torch.randint(0, len(own_train), (n_own,), generator=gen)))
        batch = PairSet.cat(parts)
        # which take is A is arbitrary: swap half of them again (a free augmentation)
        swap = torch.rand(len(batch), generator=gen) < 0.5
        a = torch.where(swap[:, None, None, None, None], batch.b, batch.a)
        b = torch.where(swap[:, None, None, None, None], batch.a, batch.b)
        outcomes = batch.outcomes.clone()
        flip = swap[:, None] & ((outcomes == A) | (outcomes == B))
        outcomes[flip] = 1 - outcomes[flip]
        extra = mismatched(batch, args.mismatch, gen)
        video = from_u8(torch.cat([a, b, *extra[:1]])).to(device)
        text = torch.cat([batch.text, batch.text, *extra[1:2]]).float().to(device)
        mask = torch.cat([batch.mask, batch.mask, *extra[2:3]]).float().to(device)
        with autocast(device, bf16):
            scores, _ = model(video, text, mask)
        scores = scores.float()
        n = len(batch)
        ra, rb = scores[:n], scores[n:2 * n]
        if extra:
            # the same clip under its own prompt (in ra/rb) against under another pair's prompt
            in_b = (extra[4] ^ swap[extra[3]]).to(device)  # after the A/B swap above
            own = torch.where(in_b[:, None], rb[extra[3]], ra[extra[3]])
            ra, rb = torch.cat([ra, own]), torch.cat([rb, scores[2 * n:]])
            outcomes = torch.cat([outcomes, extra[5]])
        loss = pair_loss(ra, rb, outcomes.to(device), args.loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        step_times.append(time.time() - t)
        if step % 25 == 0 or step == stop:
            k = min(len(losses), 25)
            log.log(step=step, loss=round(sum(losses[-k:]) / k, 5), lr=round(opt.param_groups[0]["lr"], 7),
                    step_s=round(sum(step_times[-k:]) / k, 3), wall_s=round(wall + time.time() - start))
        if step % args.eval_every == 0 and step < args.steps:
            run_eval()
        if time.time() - last_ck > 300:
            save(); last_ck = time.time()

    save()
    if step >= args.steps:
        save(os.path.join(args.out, "final.pt"), full=False)
    run_eval(final=step >= args.steps)


if __name__ == "__main__":
    main()
