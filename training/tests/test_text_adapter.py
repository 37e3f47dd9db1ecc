"""The text adapter (issue #8, paraphrases) on tiny random weights: a fresh one changes nothing,
training moves it alone, and it goes through export and recover inside the denoiser graph."""
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch

from vidlet_train import graph_io, recover, train_text_adapter
from vidlet_train.dit import DiTConfig, VideoDiT
from vidlet_train.text_encoder import MAX_LENGTH
from vidlet_train.train_dit import fit, flow_matching_loss
from package_export import export_with_shipped_text_encoder
from tiny_vae import save_tiny_vae

TINY = DiTConfig(latent_channels=4, height=16, width=16, dim=32, depth=2, heads=2)


def random_weights(cfg: DiTConfig, seed: int) -> dict:
    torch.manual_seed(seed)
    dit = VideoDiT(cfg)
    with torch.no_grad():  # adaLN-zero and the adapter's zero projections would hide a wrong wiring
        for p in dit.parameters():
            p.normal_(std=0.02)
    return dit.state_dict()


def feeds(seed: int = 3) -> dict:
    torch.manual_seed(seed)
    return graph_io.probe_feeds(TINY, MAX_LENGTH, 2, [1.0, 0.0], None)  # a short caption beside a long one


def test_a_fresh_adapter_leaves_the_base_model_exactly():
    base = dict(cfg=TINY.to_dict(), ema=random_weights(TINY, 1))
    cfg, weights = train_text_adapter.start_weights(base, hidden=48)
    assert cfg.text_adapter == 48
    adapted, plain = VideoDiT(cfg).eval(), VideoDiT(TINY).eval()
    adapted.load_state_dict(weights); plain.load_state_dict(base["ema"])
    with torch.no_grad():
        for a, b in zip(adapted(*feeds().values()), plain(*feeds().values())):
            assert torch.equal(a, b)


def test_training_moves_the_adapter_alone(tmp_path):
    base = dict(cfg=TINY.to_dict(), ema=random_weights(TINY, 1))
    cfg, weights = train_text_adapter.start_weights(base, hidden=48)
    args = train_text_adapter.parse_args(["--out", str(tmp_path), "--steps", "4", "--batch", "2", "--warmup", "1",
                                          "--device", "cpu", "--bf16", "off", "--threads", "1"])
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(8, 4, 4, 16, 16, generator=gen)
    text = torch.randn(8, 6, 384, generator=gen)

    def draw(g):
        i = torch.randint(0, 8, (2,), generator=g)
        return x0[i], x0[i] * 0.5, text[i], torch.ones(2, 6), torch.zeros(1, 6, 384), torch.ones(1, 6)

    fit(args, cfg, torch.device("cpu"), False, draw, lambda m, b, g: flow_matching_loss(m, b, g), {},
        start=dict(ema=weights), trainable=lambda n: n.startswith("text_adapter."))
    got = torch.load(tmp_path / "ckpt.pt", weights_only=False)["model"]
    moved = {k for k in got if not torch.equal(got[k], weights[k])}
    assert moved and all(k.startswith("text_adapter.") for k in moved)
    assert "text_adapter.o.weight" in moved  # the zero projection left zero


def test_the_adapter_refuses_a_per_scene_mask():
    cfg = DiTConfig(**{**TINY.to_dict(), "text_adapter": 16})
    f = graph_io.probe_feeds(cfg, MAX_LENGTH, 2, [1.0, 0.0], [2, 2])
    with pytest.raises(ValueError, match="across scenes"):
        VideoDiT(cfg)(*f.values())


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    runs = tmp_path_factory.mktemp("text-adapter")
    save_tiny_vae(runs / "vae.pt")
    cfg = DiTConfig(**{**TINY.to_dict(), "text_adapter": 48})
    torch.save(dict(cfg=cfg.to_dict(), ema=random_weights(cfg, 2)), runs / "dit.pt")
    export_with_shipped_text_encoder(runs / "pkg", ["--vae", str(runs / "vae.pt"), "--dit", str(runs / "dit.pt"), "--steps", "1"])
    return runs, cfg


def test_the_denoiser_graph_carries_the_adapter(package):
    runs, cfg = package
    dit = VideoDiT(cfg).eval()
    dit.load_state_dict(torch.load(runs / "dit.pt")["ema"])
    f = feeds()
    sess = ort.InferenceSession(str(runs / "pkg" / "denoiser.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(graph_io.OUTPUTS, {k: v.numpy() for k, v in f.items()})
    with torch.no_grad():
        ref = dit(*f.values())
        # the adapter matters here: the same weights without it give another answer
        bare = VideoDiT(TINY).eval()
        bare.load_state_dict({k: v for k, v in dit.state_dict().items() if not k.startswith("text_adapter.")})
        other = bare(*f.values())
    assert max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, ref)) < 1e-4
    assert max(float((a - b).abs().max()) for a, b in zip(ref, other)) > 1e-3
    report = json.load(open(runs / "pkg" / "export_report.json"))
    assert report["dit"]["text_adapter"] == 48


def test_recover_gives_the_adapter_back(package):
    runs, cfg = package
    out = runs / "recovered"
    recover.main(["--package", str(runs / "pkg"), "--out", str(out)])  # raises beyond its 1e-4
    got = torch.load(out / "dit" / "final.pt")
    want = torch.load(runs / "dit.pt")["ema"]
    assert DiTConfig(**got["cfg"]) == cfg
    assert max(float((got["ema"][k] - want[k]).abs().max()) for k in want) < 1e-4
