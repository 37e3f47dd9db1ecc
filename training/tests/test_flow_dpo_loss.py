import math

import torch

from vidlet_train.reward.flow_dpo_loss import flow_dpo_loss, per_sample_sq_error


def test_equals_log2_when_theta_is_ref():
    e = torch.tensor([0.3, 1.2])
    f = torch.tensor([0.7, 0.1])
    assert math.isclose(flow_dpo_loss(e, e, f, f).item(), math.log(2), rel_tol=1e-6)


def test_closer_to_winner_than_ref_lowers_loss():
    ref_w, ref_l = torch.tensor([1.0]), torch.tensor([1.0])
    better = flow_dpo_loss(torch.tensor([0.99]), ref_w, torch.tensor([1.0]), ref_l)
    worse = flow_dpo_loss(torch.tensor([1.01]), ref_w, torch.tensor([1.0]), ref_l)
    assert better.item() < math.log(2) < worse.item()
    # Moving away from the loser also helps.
    assert flow_dpo_loss(ref_w, ref_w, torch.tensor([1.01]), ref_l).item() < math.log(2)


def test_beta_scales_the_margin():
    w, rw, l, rl = torch.tensor([0.9]), torch.tensor([1.0]), torch.tensor([1.0]), torch.tensor([1.0])
    # −log σ(β/2·0.1): β=20 gives softplus(−1).
    assert math.isclose(flow_dpo_loss(w, rw, l, rl, beta=20).item(), math.log1p(math.exp(-1)), rel_tol=1e-6)
    assert flow_dpo_loss(w, rw, l, rl, beta=500).item() < flow_dpo_loss(w, rw, l, rl, beta=20).item()


def test_gradient_only_through_theta():
    w = torch.tensor([0.5], requires_grad=True)
    rw = torch.tensor([0.5], requires_grad=True)
    flow_dpo_loss(w, rw, torch.tensor([0.5]), torch.tensor([0.5]), beta=2).backward()
    assert w.grad is not None and w.grad.item() > 0  # lowering the winner's error lowers the loss
    assert rw.grad is None


def test_per_sample_error_is_mean_per_sample():
    v = torch.zeros(2, 3, 4)
    t = torch.ones(2, 3, 4)
    t[1] *= 2
    assert per_sample_sq_error(v, t).tolist() == [1.0, 4.0]
