"""The DiT's training-only mask head (silhouettes.py): targets, layout, loading, and that export drops it."""
import random

import pytest
import torch

from vidlet_train.dit import DiTConfig, VideoDiT, without_training_heads
from vidlet_train.silhouettes import clip_silhouettes, silhouette_loss
from vidlet_train.train_dit import load_weights, parse_args
from vidlet_train.world import render_clips, sample_clip_spec
from vidlet_train.world.sample import ClipSpec, ObjectSpec, SceneSpec


def test_stored_specs_render_the_same_clip_again():
    rng = random.Random(3)
    specs = [sample_clip_spec(rng, 16) for _ in range(4)]
    v, f = render_clips(specs, 16, 64)
    v2, f2 = render_clips([ClipSpec.from_dict(s.to_dict()) for s in specs], 16, 64)
    assert torch.equal(v, v2) and torch.equal(f, f2)


def test_silhouette_of_a_still_square_covers_its_cells():
    # a still square of half-side 0.25 centred: pixels 48..80 of 128 -> cells 12..20 of 32, fully covered
    obj = ObjectSpec("square", "red", "still", 0.0, 0.0, 0.25, 0.0)
    spec = ClipSpec([SceneSpec([obj], "solid", "blue", "blue", "none", 16)], "a red square")
    sil = clip_silhouettes([spec.to_dict()], latent_frames=4, grid=32)
    assert sil.shape == (1, 4, 32, 32) and sil.dtype == torch.uint8
    inside, outside = sil[0, :, 13:19, 13:19], sil[0, :, :, :8]
    assert inside.min() == 255 and outside.max() == 0
    # what the video frames show of the object, cell for cell (the same share, within a level)
    _, _, seen = render_clips([spec], 16, 128, with_mask=True)
    share = seen.float().mean() * 32 * 32 * 4
    assert abs(sil.float().sum() / 255 - share) < 1


def test_mask_head_puts_each_tokens_cells_in_place():
    dit = VideoDiT(DiTConfig(mask_head=2))  # patch 2: a token holds 2x2 latent pixels = 4x4 cells
    with torch.no_grad():
        dit.mask_out.weight.zero_()
        dit.mask_out.bias.copy_(torch.arange(16.0))
    tokens = torch.zeros(1, 4 * 8 * 8, dit.cfg.dim)
    tokens_marked = tokens.clone()
    logits = dit.silhouette(tokens, 4)
    assert logits.shape == (1, 4, 32, 32)
    # every token's 4x4 block reads 0..15 row by row
    assert torch.equal(logits[0, 2, 4:8, 8:12], torch.arange(16.0).reshape(4, 4))
    # token n of frame 1, row 3, column 5 lands on cells rows 12..15, columns 20..23 of frame 1
    with torch.no_grad():
        dit.mask_out.bias.zero_()
        dit.mask_out.weight.zero_()
        dit.mask_out.weight[:, 0] = 1.0
    tokens_marked[0, 1 * 64 + 3 * 8 + 5, 0] = 1.0
    hot = dit.silhouette(tokens_marked, 4)[0].nonzero()
    assert hot[:, 0].unique().tolist() == [1]
    assert sorted(set(hot[:, 1].tolist())) == [12, 13, 14, 15] and sorted(set(hot[:, 2].tolist())) == [20, 21, 22, 23]


def test_forward_with_mask_leaves_the_velocities_as_they_were():
    torch.manual_seed(0)
    dit = VideoDiT(DiTConfig(mask_head=2, dim=32, depth=2, heads=2))
    for p in dit.parameters():
        torch.nn.init.normal_(p, std=0.05)
    args = (torch.randn(2, 4, 4, 16, 16), torch.randn(2, 4, 4, 16, 16), torch.rand(2), torch.randn(2, 5, 384),
            torch.ones(2, 5), torch.ones(2))
    vx, vd = dit(*args)
    vx2, vd2, sil = dit(*args, with_mask=True)
    assert torch.equal(vx, vx2) and torch.equal(vd, vd2) and sil.shape == (2, 4, 32, 32)


def test_export_config_and_weights_drop_the_head():
    dit = VideoDiT(DiTConfig(mask_head=2, dim=32, depth=2, heads=2))
    cfg, state = without_training_heads(dit.cfg.to_dict(), dit.state_dict())
    plain = VideoDiT(DiTConfig(**cfg))
    plain.load_state_dict(state)  # strict: nothing missing, nothing extra
    assert plain.mask_out is None


def test_load_weights_adds_or_drops_only_the_head():
    small = dict(dim=32, depth=2, heads=2)
    with_head, without = VideoDiT(DiTConfig(mask_head=2, **small)), VideoDiT(DiTConfig(**small))
    load_weights(with_head, without.state_dict())  # a run starting a head from a plain checkpoint
    load_weights(without, with_head.state_dict())  # and back
    broken = {k: v for k, v in without.state_dict().items() if not k.startswith("patch_out.")}
    with pytest.raises(RuntimeError, match="patch_out"):
        load_weights(with_head, broken)


def test_silhouette_loss_is_lowest_at_the_target():
    target = torch.zeros(1, 4, 8, 8, dtype=torch.uint8)
    target[:, :, 2:5, 2:5] = 255
    right = torch.where(target > 0, 8.0, -8.0)
    assert silhouette_loss(right, target) < 0.01 < silhouette_loss(torch.zeros(1, 4, 8, 8), target)


def test_mask_head_and_weight_go_together():
    with pytest.raises(SystemExit):
        parse_args(["--mask-head", "2"])
    with pytest.raises(SystemExit):
        parse_args(["--mask-weight", "1"])
    args = parse_args(["--mask-head", "2", "--mask-weight", "1"])
    assert (args.mask_head, args.mask_weight) == (2, 1.0)
