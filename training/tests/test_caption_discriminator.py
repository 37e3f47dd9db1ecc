"""The generative decoder's adversarial half (vidlet_train/caption_discriminator.py) and the
per-clip losses train_text_decoder uses with it."""
import torch
import torch.nn.functional as F

from vidlet_train.caption_discriminator import CaptionDiscriminator, adaptive_weight, crop_at, d_hinge, object_centres
from vidlet_train.train_text_decoder import frames_of, lowpass_per_clip, recon_per_clip
from vidlet_train.train_vae import edge_l1


def test_d_hinge_matches_hand_computed_values():
    real = torch.tensor([2.0, 0.5])      # relu(1 - s): 0, 0.5 -> mean 0.25
    fake = torch.tensor([-3.0, 0.0])     # relu(1 + s): 0, 1 -> mean 0.5
    mismatched = torch.tensor([1.0])     # relu(1 + s): 2
    assert torch.isclose(d_hinge(real, fake, mismatched), torch.tensor(0.25 + 0.5 * (0.5 + 2.0)))


def test_the_caption_moves_the_score_and_masked_tokens_do_not():
    torch.manual_seed(0)
    d = CaptionDiscriminator(text_dim=8, width=8).eval()
    frames = torch.rand(2, 3, 32, 32) * 2 - 1
    text, mask = torch.randn(2, 4, 8), torch.ones(2, 4)
    mask[0, 3] = 0
    with torch.no_grad():
        base = d(frames, text, mask)
        assert base.shape == (2,)
        other = text.clone()
        other[0, 3] += 10.0  # hidden by clip 0's mask
        assert torch.equal(d(frames, other, mask), base)
        other[0, 0] += 10.0  # read
        assert (d(frames, other, mask)[0] - base[0]).abs() > 1e-4


def test_adaptive_weight_equalises_the_gradient_norms_at_the_last_layer():
    torch.manual_seed(0)
    last = torch.nn.Parameter(torch.randn(5))
    recon, adv = (last ** 2).sum(), 7.0 * last.sum()
    w = adaptive_weight(recon, adv, last)
    g_rec = 2 * last.detach()
    g_adv = torch.full((5,), 7.0)
    assert torch.isclose(w, g_rec.norm() / (g_adv.norm() + 1e-4))
    assert not w.requires_grad


def test_recon_per_clip_averages_to_the_vae_runs_loss_and_lowpass_ignores_outline():
    torch.manual_seed(0)
    rec, target = torch.rand(3, 3, 2, 16, 16), torch.rand(3, 3, 2, 16, 16)
    whole = F.mse_loss(rec, target) + 0.5 * F.l1_loss(rec, target) + 0.5 * edge_l1(rec, target)
    assert torch.isclose(recon_per_clip(rec, target, 0.5).mean(), whole, atol=1e-6)
    # Moving detail inside each 8x8 block (here: flipping it) keeps the low-pass term at 0.
    flipped = target.reshape(3, 3, 2, 2, 8, 2, 8).flip(-1).reshape(3, 3, 2, 16, 16)
    assert torch.allclose(lowpass_per_clip(flipped, target), torch.zeros(3), atol=1e-6)
    assert (recon_per_clip(flipped, target, 0.5) > 0.01).all()


def test_frames_of_picks_each_clips_own_frames():
    video = torch.arange(2 * 1 * 3 * 1 * 1, dtype=torch.float32).reshape(2, 1, 3, 1, 1)  # value = 3*clip + frame
    out = frames_of(video, torch.tensor([[2, 0], [1, 1]]))
    assert out.flatten().tolist() == [2.0, 0.0, 4.0, 4.0]


def test_object_centres_and_crops_follow_the_silhouette_and_repeat_the_edge():
    mask = torch.zeros(2, 8, 8, dtype=torch.bool)
    mask[0, 1:4, 5:8] = True          # centre (2, 6)
    cy, cx = object_centres(mask)     # frame 1 shows no object: the frame's centre
    assert cy.tolist() == [2, 4] and cx.tolist() == [6, 4]
    frames = torch.arange(2 * 8 * 8, dtype=torch.float32).reshape(2, 1, 8, 8)
    out = crop_at(frames, cy, cx, 4)
    assert out.shape == (2, 1, 4, 4)
    assert torch.equal(out[0, 0, 2, 2], frames[0, 0, 2, 6])      # the centre pixel sits at [size/2, size/2]
    assert torch.equal(out[0, 0, 2, 3], frames[0, 0, 2, 7])      # the last column ...
    assert torch.equal(out[0, 0, 0, 0], frames[0, 0, 0, 4])      # ... and the top-left from the frame
    assert torch.equal(crop_at(frames, torch.tensor([0, 0]), torch.tensor([7, 7]), 4)[0, 0, 3, 3], frames[0, 0, 1, 7])  # beyond: edge repeated
