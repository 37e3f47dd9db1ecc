"""train_dit's loss weighting: object positions weigh more than the background, the mean stays 1."""
import torch

from vidlet_train.train_dit import object_weights


def test_object_weights_favour_the_positions_that_differ_from_the_background():
    x0 = torch.zeros(2, 16, 4, 16, 16)
    x0[:, :, :, 6:9, 6:9] = 2.0  # a 3x3 "object" in every frame
    w = object_weights(x0, 4.0)
    assert w.shape == (2, 1, 4, 16, 16)
    assert torch.allclose(w.mean(dim=(2, 3, 4)), torch.ones(2, 1))
    assert torch.all(w[:, :, :, 7, 7] > 3 * w[:, :, :, 0, 0])


def test_zero_strength_is_plain_mse():
    x0 = torch.randn(2, 16, 4, 16, 16)
    assert torch.allclose(object_weights(x0, 0.0), torch.ones(2, 1, 4, 16, 16))


def test_temporal_difference_loss_charges_jumps_not_errors_shared_in_time():
    from vidlet_train.scenes import within_scene_pairs
    from vidlet_train.train_dit import temporal_difference_loss
    shared = torch.randn(2, 4, 1, 8, 8).expand(2, 4, 6, 8, 8)
    assert temporal_difference_loss(shared) == 0.0
    jump = torch.zeros(2, 4, 6, 8, 8)
    jump[:, :, 2:] = 1.0  # an error that steps up between latent frames 1 and 2
    assert torch.isclose(temporal_difference_loss(jump), torch.tensor(1 / 5))
    # the same step at a planned cut (scenes of 2 and 4 latent frames) costs nothing
    same = within_scene_pairs([2, 4])
    assert same.tolist() == [True, False, True, True, True]
    assert temporal_difference_loss(jump, same) == 0.0
    assert within_scene_pairs([4]).all() and within_scene_pairs([1, 1, 2]).tolist() == [False, False, True]
