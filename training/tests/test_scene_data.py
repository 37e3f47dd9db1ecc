"""Issue #10: multi-scene training clips (scene_data.py), on a tiny random VAE and a fake text encoder."""
import random

import torch

from vidlet_train.scene_data import (MAX_LATENT_FRAMES, MAX_SCENES, SCENE_LENGTHS, build_scene_shard, clip_captions,
                                     scene_specs)
from vidlet_train.scenes import FRAMES_PER_LATENT
from vidlet_train.vae import VAEConfig, VideoVAE

L, H = 16, 8


def fake_encode_texts(te, tok, texts):
    """Stands in for MiniLM: a token per word (capped at L), each state the text's hash, so the test
    can tell which text landed where."""
    states, masks = torch.zeros(len(texts), L, H), torch.zeros(len(texts), L, dtype=torch.uint8)
    for i, t in enumerate(texts):
        n = min(L, len(t.split()) + 2 if t else 2)
        masks[i, :n] = 1
        states[i, :n] = float(hash(t) % 1000)
    return states.half(), masks


def test_specs_are_two_or_three_scenes_cut_between_latent_frames():
    specs = scene_specs(40, seed=7)
    counts = {len(s.scenes) for s in specs}
    assert counts == {2, 3}
    for s in specs:
        assert all(sc.frames in SCENE_LENGTHS and sc.frames % FRAMES_PER_LATENT == 0 for sc in s.scenes)
        assert len(s.scene_captions) == len(s.scenes)
    assert scene_specs(5, seed=7)[3].to_dict() == specs[3].to_dict()  # a pure function of the seed


def test_held_out_texts_are_reworded():
    spec = scene_specs(1, seed=3)[0]
    banned = {spec.caption, spec.scene_captions[0]}
    pairs = clip_captions(random.Random(0), spec, 3, lambda t: t not in banned)
    assert len(pairs) == 3
    for g, sc in pairs:
        assert g not in banned and not banned & set(sc) and len(sc) == len(spec.scenes)


def test_shard_layout_padding_and_scene_texts():
    torch.manual_seed(0)
    vae = VideoVAE(VAEConfig(latent_channels=4, enc_hi=8, enc_lo=16, dec_lo=16, dec_mid=16, dec_hi=8, dec_top=8,
                             spatial=8)).eval()
    n, k = 5, 2
    shard = build_scene_shard(vae, None, None, n, 11, k, torch.device("cpu"), False, lambda t: True,
                              fake_encode_texts, L)
    assert shard["latent"].shape == (n, 4, MAX_LATENT_FRAMES, 16, 16) == shard["motion"].shape
    assert shard["text"].shape == (n, k, L, H) and shard["scene_text"].shape == (n, k, MAX_SCENES, L, H)
    for i, spec in enumerate(shard["specs"]):
        t = int(shard["latent_frames"][i])
        frames = [s["frames"] for s in spec["scenes"]]
        assert t * FRAMES_PER_LATENT == sum(frames)
        assert shard["scene_frames"][i].tolist() == frames + [0] * (MAX_SCENES - len(frames))
        assert shard["latent"][i, :, t:].abs().sum() == 0 and shard["latent"][i, :, :t].abs().sum() > 0
        assert shard["scene_mask"][i, :, len(frames):].sum() == 0
        for c in range(k):
            for s, text in enumerate(shard["scene_captions"][i][c]):
                assert shard["scene_mask"][i, c, s].sum() > 0
                assert float(shard["scene_text"][i, c, s, 0, 0]) == float(hash(text) % 1000)
    # a clip's latent is its own whole-clip encoding, whatever else shares its shard
    spec0 = scene_specs(n, 11)[0]
    from vidlet_train.data import from_u8, to_u8
    from vidlet_train.world import render_clips
    f = sum(s.frames for s in spec0.scenes)
    v, _ = render_clips([spec0], f, 128)
    with torch.no_grad():
        mu = vae.encode(from_u8(to_u8(v)))[0]
    t0 = int(shard["latent_frames"][0])
    assert torch.allclose(((mu - vae.shift) * vae.scale).half()[0].float(), shard["latent"][0, :, :t0].float(), atol=1e-2)
