"""The VAE's two spatial compressions: 8x8 (the shipped packages) and 4x4 (the outline of a small
object survives). Shapes, the preview decoder's 32x32 output, and the checkpoint round trip the
judge uses for ablations."""
import numpy as np
import pytest
import torch

from vidlet_train.judge import CheckpointVAE
from vidlet_train.vae import VAEConfig, build_vae


@pytest.mark.parametrize("spatial,grid", [(8, 16), (4, 32)])
def test_latent_grid_and_preview(spatial, grid):
    vae, prev = build_vae(VAEConfig(latent_channels=4, spatial=spatial, enc_lo=32, dec_lo=32, dec_mid=32).to_dict())
    x = torch.rand(1, 3, 16, 128, 128) * 2 - 1
    with torch.no_grad():
        rec, mu, _ = vae(x)
        assert mu.shape == (1, 4, 4, grid, grid)
        assert rec.shape == x.shape
        assert prev(mu).shape == (1, 3, 4, 32, 32)  # the page's live preview stays 32x32 either way


def test_other_compressions_are_refused():
    with pytest.raises(ValueError, match="only 4 or 8"):
        build_vae(VAEConfig(spatial=2).to_dict())


def test_checkpoint_round_trip(tmp_path):
    cfg = VAEConfig(latent_channels=4, spatial=4, enc_lo=32, dec_lo=32, dec_mid=32)
    vae, prev = build_vae(cfg.to_dict())
    torch.save(dict(vae=vae.state_dict(), preview=prev.state_dict(), cfg=cfg.to_dict()), tmp_path / "v.pt")
    frames = np.random.default_rng(0).integers(0, 256, (2, 16, 128, 128, 3), dtype=np.uint8)
    out = CheckpointVAE(str(tmp_path / "v.pt")).round_trip_frames(frames)
    assert out.shape == frames.shape and out.dtype == np.uint8
