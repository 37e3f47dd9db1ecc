"""Flow-DPO on proxy pairs (reward/proxy_dpo.py) on the toy VideoDiT of test_adapters_smoke."""
import math
import random

import torch

from test_adapters_smoke import tiny_base
from vidlet_train.dataset import _norm, held_out_prompts
from vidlet_train.reward.pairs import alter_spec, sample_spec
from vidlet_train.reward.proxy_dpo import build_pairs, train_full
from vidlet_train.world.render import render_clips


def test_pairs_are_the_true_clip_against_its_altered_twin():
    base = tiny_base()
    pairs = build_pairs(base, 3, seed=5, attributes=["shape"], captions=2, log=lambda s: None)
    assert 3 <= len(pairs) <= 6  # each clip pair under up to two wordings
    held = held_out_prompts()
    assert all(_norm(p.caption) not in held for p in pairs)
    # the first pair is the first one-scene spec the seed draws, and its shape-altered twin
    rng = random.Random(5)
    while True:
        spec = sample_spec(rng, "train", base.video.frames)
        if len(spec.scenes) == 1:
            break
    alt = alter_spec(rng, spec, rng.choice(["shape"]))  # build_pairs draws the attribute first
    assert [o.shape for o in alt.scenes[0].objects] != [o.shape for o in spec.scenes[0].objects]
    assert [o.colour for o in alt.scenes[0].objects] == [o.colour for o in spec.scenes[0].objects]
    v, f = render_clips([spec, alt], base.video.frames, base.video.height)
    x0, d0 = base.latents(v, f)
    assert torch.equal(pairs[0].xw, x0[0]) and torch.equal(pairs[0].xl, x0[1])
    assert torch.equal(pairs[0].dw, d0[0]) and pairs[0].caption == spec.caption


def test_training_starts_at_log_2_and_moves_the_policy_not_a_reference():
    base = tiny_base()
    pairs = build_pairs(base, 4, seed=6, attributes=["shape", "colour"], log=lambda s: None)
    before = {k: v.clone() for k, v in base.dit.state_dict().items()}
    history, _ = train_full(base, pairs, steps=4, batch=2, lr=1e-3, beta=500, sft_weight=1.0, seed=0, log=lambda s: None)
    # step 1: the policy is the reference, so every error difference is 0 and the loss is log 2
    assert math.isclose(history[0]["dpo"], math.log(2), rel_tol=1e-4)
    assert history[0]["margin"] == 0.0
    assert len(history) == 4 and all(math.isfinite(h["dpo"]) for h in history)
    after = base.dit.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in base.dit.parameters())  # frozen again, as load_base_model gives it
