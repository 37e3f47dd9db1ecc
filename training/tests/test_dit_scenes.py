"""Issue #10: the DiT's per-latent-frame text mask and longer clips (tiny config, one forward)."""
import pytest
import torch

from vidlet_train.dit import DiTConfig, VideoDiT, rope_tables
from vidlet_train.scenes import latent_scene_lengths, scene_text, text_frame_mask

CFG = DiTConfig(dim=32, depth=2, heads=2, text_dim=8, height=8, width=8, lora_slots=1, lora_rank=2)
L = 5


def _model(depth=CFG.depth):
    torch.manual_seed(0)
    m = VideoDiT(DiTConfig(**{**CFG.to_dict(), "depth": depth})).eval()
    # Zero-initialised output layers would make every output 0 and every comparison pass.
    for p in m.parameters():
        torch.nn.init.normal_(p, std=0.2)
    return m


def _inputs(t):
    g = torch.Generator().manual_seed(1)
    lat = torch.randn(1, 4, t, 8, 8, generator=g)
    return lat, torch.randn(1, 4, t, 8, 8, generator=g), torch.tensor([0.5]), torch.tensor([1.0])


def _run(m, t, hidden, mask, fmask=None):
    lat, mot, ts, flag = _inputs(t)
    with torch.no_grad():
        return m(lat, mot, ts, hidden[None], mask[None], flag, text_frame_mask=fmask)[0][0]  # v_latent [c,t,h,w]


def test_a_frame_sees_only_its_scene_and_the_global_caption():
    # One block: its self-attention runs before its cross-attention, so a frame's output depends
    # on text only through the mask. Deeper models mix frames by self-attention on purpose (one
    # clip, consistent across cuts), so other scenes' text reaches a frame only through frames.
    m = _model(depth=1)
    lens = latent_scene_lengths([16, 16])  # two scenes, latent T = 8
    g = torch.Generator().manual_seed(2)
    glob, s1, s2 = (torch.randn(L, 8, generator=g) for _ in range(3))
    ones = torch.ones(L)
    fmask = text_frame_mask(lens, L)[None]
    hidden, mask = scene_text(glob, ones, [s1, s2], [ones, ones])
    hidden2, _ = scene_text(glob, ones, [s1, torch.randn(L, 8, generator=g)], [ones, ones])
    # Scene 1's frames (latent 0-3) must match; scene 2's must not (else the test proves nothing).
    before, after = _run(m, 8, hidden, mask, fmask), _run(m, 8, hidden2, mask, fmask)
    assert torch.allclose(before[:, :4], after[:, :4], atol=1e-5)
    assert not torch.allclose(before[:, 4:], after[:, 4:], atol=1e-3)


def test_without_the_global_caption_no_frame_depends_on_it():
    # scenes.globalCaption false: changing the global caption changes nothing (cross-attention
    # and the pooled caption, which is then the empty set of tokens every frame sees); a scene's text still does.
    m = _model()
    lens = latent_scene_lengths([16, 16])
    g = torch.Generator().manual_seed(4)
    glob, other, s1, s2 = (torch.randn(L, 8, generator=g) for _ in range(4))
    ones = torch.ones(L)
    fmask = text_frame_mask(lens, L, global_caption=False)[None]
    run = lambda gl, a: _run(m, 8, *scene_text(gl, ones, [a, s2], [ones, ones]), fmask)  # noqa: E731
    assert torch.equal(run(glob, s1), run(other, s1))
    assert not torch.allclose(run(glob, s1), run(glob, other), atol=1e-3)


def test_one_scene_is_todays_model_exactly():
    m = _model()
    g = torch.Generator().manual_seed(3)
    hidden, mask = torch.randn(L, 8, generator=g), torch.tensor([1.0, 1, 1, 0, 0])
    today = _run(m, 4, hidden, mask)
    h1, m1 = scene_text(hidden, mask, [hidden], [mask])
    one = _run(m, 4, h1, m1, text_frame_mask(latent_scene_lengths([16]), L)[None])
    assert torch.equal(today, one)


def test_longer_clips_keep_the_first_frames_rope_and_shape():
    m = _model()
    for frames in ([16, 16], [16, 16, 16]):
        t = sum(latent_scene_lengths(frames))
        out = _run(m, t, torch.randn(L, 8), torch.ones(L))
        assert out.shape == (4, t, 8, 8)
    assert torch.equal(m.rope_cos[:4 * 16], rope_tables(CFG)[0])


def test_cuts_inside_a_latent_frame_are_refused():
    with pytest.raises(ValueError, match="multiples of 4"):
        latent_scene_lengths([10, 22])
