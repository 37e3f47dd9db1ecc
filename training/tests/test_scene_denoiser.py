"""Issue #10's split package on tiny random weights (CPU, in-process): export --scene-dit keeps --dit
as the plain single-scene denoiser and adds the scene DiT as components.sceneDenoiser; the graphs
run at their lengths, recover gives both DiTs back, and evaluate / scene_eval send each plan to the
graph graph_io.denoiser_for picks (the rule src/package/components.ts denoiserFor states too)."""
import json
import os

import numpy as np
import onnxruntime as ort
import pytest
import torch

from vidlet_train import export, graph_io, recover, scene_eval
from vidlet_train.dit import DiTConfig, VideoDiT
from vidlet_train.evaluate import Package
from vidlet_train.text_encoder import MAX_LENGTH
from package_export import export_with_shipped_text_encoder
from tiny_vae import save_tiny_vae

TINY = DiTConfig(latent_channels=4, height=16, width=16, dim=32, depth=2, heads=2)
PROMPT = "a red circle moves left on a blue background"
OTHER = "a green star spins on a black background"


def random_dit(seed: int, cfg: DiTConfig = TINY) -> dict:
    """A checkpoint as train_dit writes it, of non-trivial random weights (adaLN-zero leaves zeros)."""
    torch.manual_seed(seed)
    dit = VideoDiT(cfg)
    with torch.no_grad():
        for p in dit.parameters():
            p.normal_(std=0.02)
    return {"cfg": cfg.to_dict(), "ema": dit.state_dict()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("scene-denoiser")
    save_tiny_vae(runs / "vae.pt")
    torch.save(random_dit(1), runs / "dit.pt")
    torch.save(random_dit(2), runs / "scene.pt")
    export_with_shipped_text_encoder(runs / "pkg", ["--vae", str(runs / "vae.pt"), "--dit", str(runs / "dit.pt"),
                                                    "--scene-dit", str(runs / "scene.pt"), "--steps", "1"])
    return runs


def test_manifest_declares_the_plain_denoiser_and_the_scene_denoiser(runs):
    m = json.load(open(runs / "pkg" / "manifest.json"))
    assert m["scenes"] == graph_io.PER_SCENE
    assert list(m["components"]["denoiser"]["inputs"]) == graph_io.names(False)
    scene = m["components"]["sceneDenoiser"]
    assert list(scene["inputs"]) == graph_io.names(True) and "text_frame_mask" in scene["inputs"]
    assert [v["files"][0]["path"] for v in scene["variants"].values()] == ["scene_denoiser.onnx", "scene_denoiser.int8.onnx"]
    report = json.load(open(runs / "pkg" / "export_report.json"))
    errors = report["max_abs_error_vs_pytorch"]
    assert {"sceneDenoiser.scenes2", "sceneDenoiser.int8.scenes3", "vaeDecoder.t3x"} <= set(errors)
    assert not any(k.startswith("denoiser.scenes") for k in errors)  # the plain graph has one length
    assert 0 < errors["sceneDenoiser.int8"] <= export.TOLERANCE["sceneDenoiser.int8"]
    assert report["params"]["scene_denoiser"] == report["params"]["denoiser"] > 0
    assert report["sceneDit"] == TINY.to_dict()


def run_graph(path, feeds):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(graph_io.OUTPUTS, {k: v.numpy() for k, v in feeds.items()})


def test_scene_graph_takes_plans_and_plain_graph_its_fixed_length(runs):
    pkg = runs / "pkg"
    for name, per_scene, layouts in (("scene", True, ([2, 2], [4, 4, 4])), ("dit", False, (None,))):
        dit = VideoDiT(TINY).eval()
        dit.load_state_dict(torch.load(runs / f"{name}.pt")["ema"])
        path = pkg / ("scene_denoiser.onnx" if per_scene else "denoiser.onnx")
        for layout in layouts:
            torch.manual_seed(3)
            feeds = graph_io.probe_feeds(TINY, MAX_LENGTH, 2, [1.0, 0.0], layout)
            got = run_graph(path, feeds)
            with torch.no_grad():
                ref = dit(*feeds.values())
            assert got[0].shape[2] == (sum(layout) if layout else TINY.frames)
            assert max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, ref)) < 1e-3, (name, layout)
    # the plain graph takes no mask and a fixed clip length, as a package without scenes
    plain = ort.InferenceSession(str(pkg / "denoiser.onnx"), providers=["CPUExecutionProvider"])
    latent = next(i for i in plain.get_inputs() if i.name == "latent")
    assert latent.shape[2] == TINY.frames and "text_frame_mask" not in {i.name for i in plain.get_inputs()}
    decoder = ort.InferenceSession(str(pkg / "vae_decoder.onnx"), providers=["CPUExecutionProvider"])
    video = decoder.run(["video"], {"latent": np.zeros((1, 4, 12, 16, 16), np.float32)})[0]
    assert video.shape[2] == 48  # three scenes' latent frames decode


def test_recover_gives_both_dits_back(runs):
    out = runs / "recovered"
    recover.main(["--package", str(runs / "pkg"), "--out", str(out)])  # raises beyond its 1e-4
    for original, recovered in (("dit.pt", "dit"), ("scene.pt", "dit-scenes")):
        want = torch.load(runs / original)["ema"]
        got = torch.load(out / recovered / "final.pt")
        assert DiTConfig(**got["cfg"]) == TINY
        assert max(float((got["ema"][k] - want[k]).abs().max()) for k in want) < 1e-4, recovered
    # the two are told apart, not one graph read twice
    a, b = (torch.load(out / r / "final.pt")["ema"] for r in ("dit", "dit-scenes"))
    assert not torch.equal(a["blocks.0.q.weight"], b["blocks.0.q.weight"])


class Counted:
    """An onnxruntime session that counts its runs (the numerics are the session's own)."""

    def __init__(self, sess):
        self.sess, self.calls = sess, 0

    def run(self, *args, **kwargs):
        self.calls += 1
        return self.sess.run(*args, **kwargs)


def counted_package(runs) -> Package:
    pkg = Package(str(runs / "pkg"), "fp32", threads=1)
    for name in ("denoiser", graph_io.SCENE_DENOISER):
        pkg.sess[name] = Counted(pkg.sess[name])
    return pkg


def calls(pkg: Package) -> tuple[int, int]:
    return pkg.sess["denoiser"].calls, pkg.sess[graph_io.SCENE_DENOISER].calls


def test_generate_scenes_picks_the_graph_by_plan(runs):
    pkg = counted_package(runs)
    # one scene of the package's length: the plain graph, exactly the clip of the prompt without a plan
    own = pkg.generate_scenes([PROMPT], [16], seed=4, steps=1)
    assert calls(pkg) == (1, 0) and own.shape == (16, 128, 128, 3)
    assert np.array_equal(own, pkg.generate([PROMPT], [4], steps=1)[0]) and calls(pkg) == (2, 0)
    # every other plan: the scene graph, one call per step, at the plan's length
    assert pkg.generate_scenes([PROMPT, OTHER], [8, 8], seed=4, steps=1).shape[0] == 16 and calls(pkg) == (2, 1)
    assert pkg.generate_scenes([PROMPT], [8], seed=4, steps=2).shape[0] == 8 and calls(pkg) == (2, 3)
    assert pkg.generate_scenes([PROMPT, OTHER, PROMPT], [16] * 3, seed=4, steps=1).shape[0] == 48 and calls(pkg) == (2, 4)


def test_scene_eval_rows_name_the_graph(runs, monkeypatch):
    # the page's cut detector (node) is not what this checks: every clip is counted as one scene
    monkeypatch.setattr(scene_eval, "count_scenes", lambda out: [1] * len(json.load(open(os.path.join(out, "clips.json")))["clips"]))
    monkeypatch.setattr(scene_eval, "found_cuts", lambda out: [[] for _ in json.load(open(os.path.join(out, "clips.json")))["clips"]])
    out = runs / "eval"
    scene_eval.main(["--package", str(runs / "pkg"), "--variant", "fp32", "--plans", "3", "--steps", "1", "--threads", "1",
                     "--out", str(out)])
    report = json.load(open(out / "report.json"))
    assert report["per_scene_conditioning"]
    assert [(r["asked"], r["frames"], r["denoiser"]) for r in report["rows"]] == [
        (1, 16, "denoiser"), (2, 32, graph_io.SCENE_DENOISER), (3, 48, graph_io.SCENE_DENOISER)]


def test_denoiser_for_mirrors_the_engine():
    split = {"video": {"frames": 16}, "scenes": graph_io.PER_SCENE, "components": {"denoiser": {}, "sceneDenoiser": {}}}
    joined = {**split, "components": {"denoiser": {}}}
    assert graph_io.denoiser_for(split, None) == graph_io.denoiser_for(split, [16]) == "denoiser"
    assert graph_io.denoiser_for(split, [8]) == graph_io.denoiser_for(split, [16, 16]) == "sceneDenoiser"
    assert graph_io.denoiser_for(joined, [8, 8]) == "denoiser"
    assert graph_io.is_per_scene(split) and not graph_io.denoiser_takes_frame_mask(split)
    assert graph_io.denoiser_takes_frame_mask(joined)
    assert graph_io.scene_denoiser_component(split) == "sceneDenoiser" and graph_io.scene_denoiser_component(joined) == "denoiser"


def test_scene_dit_options_and_a_mismatched_scene_dit_refused(tmp_path):
    with pytest.raises(SystemExit):
        export.parse_args(["--scenes", "--scene-dit", "x.pt"])
    assert export.parse_args(["--scene-dit", "x.pt", "--no-global-caption"]).no_global_caption
    torch.save(random_dit(1, DiTConfig(latent_channels=4, height=16, width=16, dim=48, depth=2, heads=2)), tmp_path / "wide.pt")
    dit = VideoDiT(TINY)
    with pytest.raises(SystemExit, match="dim 48 vs 32"):
        export.load_scene_dit(str(tmp_path / "wide.pt"), dit, "dit.pt")
