"""TextDecoder: the VAE decoder plus cross-attention to the caption (vidlet_train/text_decoder.py)."""
import torch

from vidlet_train.text_decoder import from_vae_decoder
from vidlet_train.vae import VAEConfig, VideoVAE

CFG = VAEConfig(latent_channels=4, enc_hi=8, enc_lo=16, dec_lo=16, dec_lo_blocks=1, dec_mid=16, dec_hi=8, dec_top=8)


def _inputs(b=2, L=5):
    torch.manual_seed(0)
    z = torch.randn(b, 4, 2, 4, 4)
    text = torch.randn(b, L, 384)
    mask = torch.ones(b, L)
    mask[0, 3:] = 0
    return z, text, mask


def test_untrained_cross_attention_decodes_exactly_as_the_vae_decoder():
    vae = VideoVAE(CFG).eval()
    td = from_vae_decoder(vae.decoder).eval()
    z, text, mask = _inputs()
    with torch.no_grad():
        assert torch.equal(td(z, text, mask), vae.decoder(z))


def test_the_caption_changes_the_picture_and_masked_tokens_do_not():
    vae = VideoVAE(CFG).eval()
    td = from_vae_decoder(vae.decoder).eval()
    for m in td.modules():  # as if trained: the zero-initialised outputs open up
        if hasattr(m, "o"):
            torch.nn.init.normal_(m.o.weight, std=0.2)
    z, text, mask = _inputs()
    with torch.no_grad():
        base = td(z, text, mask)
        other = text.clone()
        other[0, 4] += 5.0  # a token clip 0's mask hides
        assert torch.equal(td(z, other, mask)[0], base[0])
        other[0, 1] += 5.0  # a token it reads
        assert (td(z, other, mask)[0] - base[0]).abs().max() > 1e-3
        assert torch.equal(td(z, other, mask)[1], base[1])  # clip 1 reads only its own caption


def test_training_reaches_the_cross_attention():
    vae = VideoVAE(CFG)
    td = from_vae_decoder(vae.decoder)
    z, text, mask = _inputs()
    td(z, text, mask).square().mean().backward()
    assert td.x_in.o.weight.grad.abs().sum() > 0 and td.x_mid.o.weight.grad.abs().sum() > 0
