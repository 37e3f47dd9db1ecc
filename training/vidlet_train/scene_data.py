"""Multi-scene training clips (issue #10): 2–3 scenes per clip, hard cuts between latent frames,
a caption per scene besides the clip's own (global) caption, so scenes.py's text_frame_mask can
be built for every clip.

Built by the dataset command with --scenes (same shards, same resume, same VAE encoding):
python -m vidlet_train.dataset --scenes --vae runs/vae4s4/final.pt --n 4000 --captions 2 --out runs/data-scenes --seed 5
A shard holds the single-scene shard's keys, with clips of different lengths padded to
MAX_LATENT_FRAMES latent frames (zeros past `latent_frames`), plus per clip and caption the scene
captions' encodings (`scene_text` [n, k, MAX_SCENES, L, H], `scene_mask`) and the scene lengths
in video frames (`scene_frames` [n, MAX_SCENES], 0 past the last scene).
"""
from __future__ import annotations

import random
from collections.abc import Callable

import torch

from .data import from_u8, to_u8
from .runtime import autocast
from .scenes import FRAMES_PER_LATENT
from .world import flow_to_rgb, render_clips, sample_clip_spec
from .world.captions import caption_scenes

# Scene lengths in video frames: the package's scenes section (export.py SCENES) allows 8–16 in
# steps of FRAMES_PER_LATENT, and training shows each of them, so every length a user may ask for
# was seen.
SCENE_LENGTHS = (8, 12, 16)
SCENE_COUNTS = (2, 3)
MAX_SCENES = max(SCENE_COUNTS)
MAX_LATENT_FRAMES = MAX_SCENES * max(SCENE_LENGTHS) // FRAMES_PER_LATENT  # 12 = DiTConfig.max_frames
assert all(n % FRAMES_PER_LATENT == 0 for n in SCENE_LENGTHS), "a cut must fall between latent frames"


def sample_scene_frames(rng: random.Random) -> list[int]:
    """The video-frame lengths of one multi-scene clip's scenes."""
    return [rng.choice(SCENE_LENGTHS) for _ in range(rng.choice(SCENE_COUNTS))]


def scene_specs(n: int, seed: int):
    """n multi-scene clip specs, a pure function of seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lengths = sample_scene_frames(rng)
        out.append(sample_clip_spec(rng, sum(lengths), scene_frames=lengths))
    return out


def clip_captions(rng: random.Random, spec, k: int, fresh: Callable[[str], bool]) -> list[tuple[str, list[str]]]:
    """k (global caption, scene captions) pairs for one clip: its own, then rewordings. A pair in
    which any text is a held-out prompt (fresh(text) False) is drawn again, so no held-out prompt,
    and hence no held-out scene plan, is ever a training text."""
    pairs = [(spec.caption, list(spec.scene_captions))]
    while len(pairs) < k:
        pairs.append(caption_scenes(rng, spec.scenes))
    for i, pair in enumerate(pairs):
        for _ in range(100):
            if all(fresh(t) for t in (pair[0], *pair[1])):
                break
            pair = caption_scenes(rng, spec.scenes)
        else:
            raise RuntimeError(f"cannot word clip {spec.to_dict()} other than a held-out prompt")
        pairs[i] = pair
    return pairs


@torch.no_grad()
def encode_clips(vae, specs, device, bf16: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render and VAE-encode clips of any lengths (each as one whole clip, as the engine decodes it)
    -> latent, motion [n, c, MAX_LATENT_FRAMES, h, w] fp16 (zero-padded) and latent_frames [n]."""
    lat, mot = [None] * len(specs), [None] * len(specs)
    by_len: dict[int, list[int]] = {}
    for i, s in enumerate(specs):
        by_len.setdefault(sum(sc.frames for sc in s.scenes), []).append(i)
    for f, idx in sorted(by_len.items()):
        for j in range(0, len(idx), 4):  # a few clips per call, as render_pool does (cache-bound on CPU)
            part = idx[j:j + 4]
            v, fl = render_clips([specs[i] for i in part], f, 128)
            for src, dst in ((to_u8(v), lat), (to_u8(flow_to_rgb(fl)), mot)):
                with autocast(device, bf16):
                    mu = vae.encode(from_u8(src).to(device))[0].float()
                z = ((mu - vae.shift) * vae.scale).half().cpu()
                pad = torch.zeros(z.shape[0], z.shape[1], MAX_LATENT_FRAMES - z.shape[2], *z.shape[3:], dtype=z.dtype)
                for i, zi in zip(part, torch.cat([z, pad], 2)):
                    dst[i] = zi
    frames = torch.tensor([sum(sc.frames for sc in s.scenes) // FRAMES_PER_LATENT for s in specs])
    return torch.stack(lat), torch.stack(mot), frames


def build_scene_shard(vae, tok, te, n: int, seed: int, captions: int, device, bf16: bool,
                      fresh: Callable[[str], bool], encode_texts, text_len: int) -> dict:
    specs = scene_specs(n, seed)
    latent, motion, latent_frames = encode_clips(vae, specs, device, bf16)
    rng = random.Random(f"scene-captions-{seed}")  # not seed + 1: that is the next shard's spec seed
    pairs = [clip_captions(rng, s, captions, fresh) for s in specs]
    # One text-encoder pass over every global caption then every scene caption ("" fills absent scenes).
    glob = [g for row in pairs for g, _ in row]
    scen = [sc[s] if s < len(sc) else "" for row in pairs for _, sc in row for s in range(MAX_SCENES)]
    states, masks = encode_texts(te, tok, glob + scen)
    g_n = len(glob)
    # A three-scene global caption can outrun text_len tokens; the tokenizer truncates it exactly as
    # the engine's does, and the scene captions carry each scene in full.
    h = states.shape[-1]
    scene_mask = masks[g_n:, :text_len].reshape(n, captions, MAX_SCENES, text_len).clone()
    scene_frames = torch.zeros(n, MAX_SCENES, dtype=torch.int16)
    for i, s in enumerate(specs):
        for j, sc in enumerate(s.scenes):
            scene_frames[i, j] = sc.frames
        scene_mask[i, :, len(s.scenes):] = 0  # absent scenes: no tokens at all
    return dict(latent=latent, motion=motion, latent_frames=latent_frames,
                text=states[:g_n, :text_len].reshape(n, captions, text_len, h).clone(),
                mask=masks[:g_n, :text_len].reshape(n, captions, text_len).clone(),
                scene_text=states[g_n:, :text_len].reshape(n, captions, MAX_SCENES, text_len, h).clone(),
                scene_mask=scene_mask, scene_frames=scene_frames,
                captions=[[g for g, _ in row] for row in pairs],
                scene_captions=[[sc for _, sc in row] for row in pairs],
                specs=[s.to_dict() for s in specs], seed=seed)
