"""Post-train a base DiT to follow scene plans (issue #10, TAV): fine-tune it on a mix of its own
single-scene clips and multi-scene clips (dataset --scenes), each multi-scene latent frame
conditioned on the global caption and its own scene's caption through text_frame_mask (scenes.py).

python -m vidlet_train.train_scenes --base checkpoints/dit-s4-13908.pt --data runs/data-s4 \\
    --scene-data runs/data-scenes --out runs/dit-scenes --steps 4000 --object-weight 4
The loop is train_dit's (fit): rerunning the same command resumes from out/ckpt.pt exactly;
--stop-after / --stop-at end a session early; --warm-from continues a compact checkpoint of this
fine-tune's schedule. --base is only read for a fresh run (step 0 of this schedule).
The same code runs on CPU and CUDA (runtime.py picks the device and bf16).
"""
from __future__ import annotations

import argparse

import torch

from .dataset import load_shards
from .dit import DiTConfig
from .runtime import pick_device, use_bf16
from .scene_data import MAX_LATENT_FRAMES
from .scenes import latent_scene_lengths, scene_text, text_frame_mask, unconditional_text, within_scene_pairs
from .train_dit import add_run_args, fit, flow_matching_loss, load_compact, sample_batch


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=None, help="the base DiT (compact or final checkpoint) a fresh run starts from")
    ap.add_argument("--data", default="runs/data", help="single-scene dataset (the base's)")
    ap.add_argument("--scene-data", default="runs/data-scenes", help="multi-scene dataset (dataset --scenes)")
    ap.add_argument("--multi-prob", type=float, default=0.5,
                    help="share of batches drawn from the multi-scene clips; the rest keep single-scene quality")
    ap.add_argument("--no-global-caption", action="store_true",
                    help="each latent frame sees only its own scene's text (scenes.text_frame_mask global_caption=False; "
                         "export --scenes then writes scenes.globalCaption false)")
    ap.add_argument("--temporal-weight", type=float, default=0.0,
                    help="weight of the loss on frame-to-frame changes of the velocity error within a scene "
                         "(train_dit.temporal_difference_loss; 0 = off)")
    # A fine-tune: a tenth of train_dit's peak LR and a short warm-up, so the base is adapted, not relearnt.
    add_run_args(ap, steps=4000, lr=5e-5, warmup=100)
    return ap.parse_args(argv)


def scene_groups(sd: dict) -> dict[tuple[int, ...], torch.Tensor]:
    """Clip indices by scene layout (latent frames per scene): a batch is drawn from one layout, so
    its latents, texts and frame masks stack without padding."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, row in enumerate(sd["scene_frames"].tolist()):
        groups.setdefault(tuple(latent_scene_lengths([f for f in row if f > 0])), []).append(i)
    return {k: torch.tensor(v) for k, v in groups.items()}


def sample_scene_batch(sd: dict, groups: dict, batch: int, gen: torch.Generator, device, global_caption: bool = True) -> tuple:
    """A multi-scene batch: (train_dit batch tuple, text_frame_mask [B, t, (1 + S)·n_tok], layout).
    A layout is drawn in proportion to its clips; texts are trimmed to the batch's longest segment."""
    keys = list(groups)
    sizes = torch.tensor([len(groups[k]) for k in keys], dtype=torch.float)
    layout = keys[int(torch.multinomial(sizes, 1, generator=gen))]
    members = groups[layout]
    idx = members[torch.randint(0, len(members), (batch,), generator=gen)]
    cap = torch.randint(0, sd["text"].shape[1], (batch,), generator=gen)
    s_count, t = len(layout), sum(layout)
    gm, sm = sd["mask"][idx, cap], sd["scene_mask"][idx, cap, :s_count]
    n_tok = max(2, int(gm.sum(1).max()), int(sm.sum(-1).max()))
    texts, masks = [], []
    for b in range(batch):
        h, m = scene_text(sd["text"][idx[b], cap[b], :n_tok], gm[b, :n_tok],
                          [sd["scene_text"][idx[b], cap[b], s, :n_tok] for s in range(s_count)],
                          [sm[b, s, :n_tok] for s in range(s_count)])
        texts.append(h); masks.append(m)
    empty_h, empty_m = unconditional_text(sd["empty_text"][0, :n_tok], sd["empty_mask"][0, :n_tok], s_count)
    fmask = text_frame_mask(list(layout), n_tok, global_caption).expand(batch, -1, -1)
    f = lambda x: x.float().to(device)  # noqa: E731
    return ((f(sd["latent"][idx, :, :t]), f(sd["motion"][idx, :, :t]), f(torch.stack(texts)), f(torch.stack(masks)),
             f(empty_h[None]), f(empty_m[None])), f(fmask), layout)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    single = load_shards(args.data, args.limit_clips)
    scenes = load_shards(args.scene_data, args.limit_clips)
    if "scene_frames" not in scenes:
        raise SystemExit(f"{args.scene_data} has no scene captions: build it with `dataset --scenes`")
    source = args.warm_from or args.base
    if source is None:
        raise SystemExit("give --base (the DiT to post-train) for a fresh run")
    start = load_compact(source)
    cfg = DiTConfig(**start["cfg"])
    zc, T, H, W = single["latent"].shape[1:]
    if (cfg.latent_channels, cfg.frames, cfg.height, cfg.width) != (zc, T, H, W) or \
            scenes["latent"].shape[1:2] + scenes["latent"].shape[3:] != (zc, H, W):
        raise SystemExit(f"{source} takes {cfg.latent_channels}x{cfg.frames}x{cfg.height}x{cfg.width} latents; "
                         f"the datasets hold {tuple(single['latent'].shape[1:])} and {tuple(scenes['latent'].shape[1:])}")
    if cfg.max_frames < MAX_LATENT_FRAMES:
        raise SystemExit(f"{source}'s RoPE tables cover {cfg.max_frames} latent frames; scene clips need {MAX_LATENT_FRAMES}")
    groups = scene_groups(scenes)

    def draw(gen):
        # One draw decides the batch's kind, from the run's generator, so a resume replays it exactly.
        if float(torch.rand(1, generator=gen)) < args.multi_prob:
            return sample_scene_batch(scenes, groups, args.batch, gen, device, not args.no_global_caption)
        return sample_batch(single, args.batch, gen, device), None, None

    def loss_of(model, drawn, gen):
        batch, fmask, layout = drawn
        return flow_matching_loss(model, batch, gen, object_weight=args.object_weight, text_frame_mask=fmask,
                                  temporal_weight=args.temporal_weight,
                                  same_scene=None if layout is None else within_scene_pairs(list(layout)))

    fit(args, cfg, device, bf16, draw, loss_of, dict(clips=len(single["latent"]), scene_clips=len(scenes["latent"]),
                                                 base=args.base, layouts={str(k): len(v) for k, v in groups.items()}),
        start=None if args.warm_from else start)


if __name__ == "__main__":
    main()
