"""Build the DiT's training set: render clips, encode video and motion with the trained VAE into
diffusion-space latents, and encode several captions per clip with the frozen text encoder.

python -m vidlet_train.dataset --vae runs/vae16/final.pt --n 12000 --captions 2 --out runs/data --seed 2
Written in shards (runs/data/shard-00000.pt, ...), each a pure function of (seed, shard index):
rerunning the command skips the shards already there and adds the missing ones.
--scenes builds multi-scene clips instead (issue #10, scene_data.py): 2–3 scenes of 8–16 frames,
each with its own caption, for train_scenes.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import time

import torch

from .data import from_u8, render_pool
from .runtime import autocast, pick_device, save_atomic, use_bf16
from .scene_data import build_scene_shard
from .text_encoder import MiniLM, Tokenizer, encode_texts
from .vae import load_vae
from .world.captions import recaption

TEXT_LEN = 64  # the graph's length; training trims each batch to its longest caption
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures")
HELD_OUT_FILES = ("eval-prompts.json", "eval-paraphrases.json")


def _norm(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def held_out_prompts() -> set[str]:
    """The evaluation prompts, normalised: no training caption may be one of them."""
    out = set()
    for name in HELD_OUT_FILES:
        out |= {_norm(p["prompt"]) for p in json.load(open(os.path.join(FIXTURES, name)))}
    return out


@torch.no_grad()
def build_shard(vae, tok, te, n: int, seed: int, captions: int, device, bf16: bool) -> dict:
    specs, v, m = render_pool(n, seed=seed)
    lat, mot = [], []
    for j in range(0, n, 8):
        with autocast(device, bf16):
            for src, dst in ((v, lat), (m, mot)):
                mu = vae.encode(from_u8(src[j:j + 8]).to(device))[0].float()
                dst.append(((mu - vae.shift) * vae.scale).half().cpu())
    # the spec's own caption plus (captions - 1) rewordings: other verbs, orders, fragments
    rng, held = random.Random(seed), held_out_prompts()

    def fresh(text: str, spec) -> str:
        for _ in range(100):
            if _norm(text) not in held:
                return text
            text = recaption(rng, spec)
        raise RuntimeError(f"cannot word a caption for {spec.to_dict()} other than a held-out prompt")

    texts = [[fresh(s.caption, s)] + [fresh(recaption(rng, s), s) for _ in range(captions - 1)] for s in specs]
    flat = [t for row in texts for t in row]
    states, masks = encode_texts(te, tok, flat)
    assert int(masks[:, TEXT_LEN:].sum()) == 0, "a caption is longer than TEXT_LEN tokens"
    return dict(latent=torch.cat(lat), motion=torch.cat(mot),
                text=states[:, :TEXT_LEN].reshape(n, captions, TEXT_LEN, -1).clone(),
                mask=masks[:, :TEXT_LEN].reshape(n, captions, TEXT_LEN).clone(),
                captions=texts, specs=[s.to_dict() for s in specs], seed=seed)


TENSORS = ("latent", "motion", "text", "mask")
SCENE_TENSORS = ("latent_frames", "scene_text", "scene_mask", "scene_frames")  # --scenes shards only
LISTS = ("captions", "specs", "scene_captions")


def load_shards(path: str, limit: int | None = None) -> dict:
    """The shards of a dataset folder concatenated (in index order), with its empty-prompt encoding.
    A --scenes dataset also has SCENE_TENSORS and scene_captions."""
    files = sorted(glob.glob(os.path.join(path, "shard-*.pt")))
    if not files:
        raise FileNotFoundError(f"no shard-*.pt in {path}: build the dataset first (python -m vidlet_train.dataset)")
    shards = [torch.load(f, weights_only=False) for f in files]
    tensors = TENSORS + tuple(k for k in SCENE_TENSORS if k in shards[0])
    data = {k: torch.cat([s[k] for s in shards]) for k in tensors}
    for k in LISTS:
        if k in shards[0]:
            data[k] = [c for s in shards for c in s[k]]
    data.update(torch.load(os.path.join(path, "empty.pt")))
    if limit:
        for k in tensors + LISTS:
            if k in data:
                data[k] = data[k][:limit]
    return data


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/vae16/final.pt")
    ap.add_argument("--n", type=int, default=12000)
    ap.add_argument("--shard", type=int, default=1000)
    ap.add_argument("--captions", type=int, default=2, help="captions per clip")
    ap.add_argument("--out", default="runs/data")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--scenes", action="store_true",
                    help="multi-scene clips with a caption per scene (issue #10, scene_data.py) instead of single-scene ones")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    bf16 = use_bf16(args.bf16, device)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    vae = load_vae(args.vae).to(device)
    tok, te = Tokenizer(), MiniLM.pretrained()
    empty_path = os.path.join(args.out, "empty.pt")
    if not os.path.exists(empty_path):
        states, masks = encode_texts(te, tok, [""])
        save_atomic(dict(empty_text=states[:, :TEXT_LEN].clone(), empty_mask=masks[:, :TEXT_LEN].clone(),
                         vae=os.path.abspath(args.vae)), empty_path)
    for k, i in enumerate(range(0, args.n, args.shard)):
        path = os.path.join(args.out, f"shard-{k:05d}.pt")
        if os.path.exists(path):
            continue
        n, seed = min(args.shard, args.n - i), args.seed * 100_000 + k
        if args.scenes:
            held = held_out_prompts()
            shard = build_scene_shard(vae, tok, te, n, seed, args.captions, device, bf16,
                                      lambda text: _norm(text) not in held, encode_texts, TEXT_LEN)
        else:
            shard = build_shard(vae, tok, te, n, seed, args.captions, device, bf16)
        save_atomic(shard, path)
        print(f"{path}: {len(shard['specs'])} clips, {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
