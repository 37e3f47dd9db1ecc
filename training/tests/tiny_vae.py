"""A tiny random VAE checkpoint for export tests: the smallest shape build_vae takes, its weights
nudged off their initial values so the exporter's graph checks see a VAE like a trained one."""
import torch

from vidlet_train.vae import build_vae

VAE_CFG = dict(latent_channels=4, enc_hi=8, enc_lo=16, dec_lo=16, dec_mid=16, dec_hi=8, dec_top=8, spatial=8)


def save_tiny_vae(path) -> None:
    torch.manual_seed(0)
    vae, prev = build_vae(VAE_CFG)
    with torch.no_grad():  # untrained norms are all ones, which the exporter merges; a trained VAE has none alike
        for p in list(vae.parameters()) + list(prev.parameters()):
            p.add_(torch.randn_like(p) * 0.01)
    torch.save(dict(cfg=VAE_CFG, vae=vae.state_dict(), preview=prev.state_dict()), path)
