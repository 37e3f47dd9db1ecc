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
