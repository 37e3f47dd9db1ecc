"""Build the DiT's training set once: render clips, encode video and motion with the trained VAE
into diffusion-space latents, and encode captions with the frozen text encoder.

python -m vidlet_train.dataset --vae runs/vae/final.pt --n 3000 --out runs/data.pt --seed 2
"""
from __future__ import annotations

import argparse
import time

import torch

from .data import from_u8, render_pool
from .text_encoder import MiniLM, Tokenizer, encode_texts
from .vae import VideoVAE

TEXT_LEN = 64  # the graph's length; training trims each batch to its longest caption


def load_vae(path: str) -> VideoVAE:
    vae = VideoVAE()
    vae.load_state_dict(torch.load(path)["vae"])
    return vae.eval().requires_grad_(False)


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/vae/final.pt")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--out", default="runs/data.pt")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    vae = load_vae(args.vae)
    enc = lambda x: (vae.encode(x)[0] - vae.shift) * vae.scale  # noqa: E731
    specs, lat, mot, chunk = [], [], [], 256
    for i in range(0, args.n, chunk):
        s, v, m = render_pool(min(chunk, args.n - i), seed=args.seed * 100_000 + i)
        specs += s
        for j in range(0, len(s), 32):
            lat.append(enc(from_u8(v[j:j + 32])).half())
            mot.append(enc(from_u8(m[j:j + 32])).half())
        print(f"{len(specs)} clips {time.time() - t0:.0f}s", flush=True)
    tok, te = Tokenizer(), MiniLM.pretrained()
    captions = [s.caption for s in specs]
    states, masks = encode_texts(te, tok, captions + [""])
    data = dict(latent=torch.cat(lat), motion=torch.cat(mot), text=states[:-1, :TEXT_LEN].clone(),
                mask=masks[:-1, :TEXT_LEN].clone(), empty_text=states[-1:, :TEXT_LEN].clone(),
                empty_mask=masks[-1:, :TEXT_LEN].clone(), captions=captions,
                specs=[s.to_dict() for s in specs], seed=args.seed)
    assert int(masks[:, TEXT_LEN:].sum()) == 0, "a caption is longer than TEXT_LEN tokens"
    torch.save(data, args.out)
    print(f"saved {args.out}: {len(specs)} clips in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
