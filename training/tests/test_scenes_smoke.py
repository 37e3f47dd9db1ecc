"""Issue #10 end to end on tiny sizes (CPU, a few steps each): multi-scene data, train_scenes with
an exact resume, export --scenes, recover from that package, and scene_eval on it."""
import json
import os
import shutil

import pytest
import torch

from test_training_smoke import HERE, SHIPPED, TINY_DIT, ends, run, same_weights
from vidlet_train import graph_io
from vidlet_train.dataset import load_shards
from vidlet_train.scenes import text_frame_mask
from vidlet_train.train_scenes import sample_scene_batch, scene_groups
from tiny_vae import save_tiny_vae



@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("scenes")
    save_tiny_vae(runs / "vae.pt")
    common = ["--vae", str(runs / "vae.pt"), "--n", "4", "--shard", "4", "--captions", "1"]
    run("vidlet_train.dataset", *common, "--out", str(runs / "data"), cwd=HERE)
    run("vidlet_train.dataset", *common, "--scenes", "--seed", "5", "--out", str(runs / "scn"), cwd=HERE)
    run("vidlet_train.train_dit", "--data", str(runs / "data"), "--steps", "1", "--batch", "2", "--warmup", "1", *TINY_DIT,
        "--out", str(runs / "base"), cwd=HERE)
    return runs


def test_multi_scene_batches_follow_the_rule(runs):
    sd = load_shards(str(runs / "scn"))
    groups = scene_groups(sd)
    assert sum(len(v) for v in groups.values()) == 4
    (batch, fmask, drawn_layout) = sample_scene_batch(sd, groups, 3, torch.Generator().manual_seed(0), "cpu")
    x0, d0, text, mask, empty_text, empty_mask = batch
    layout = drawn_layout
    n_tok = text.shape[1] // (1 + len(layout))
    assert x0.shape[2] == sum(layout) and text.shape[1] == (1 + len(layout)) * n_tok
    assert torch.equal(fmask[0], text_frame_mask(list(layout), n_tok))
    # the unconditional text is the empty caption in every segment
    assert torch.equal(empty_text[0], sd["empty_text"][0, :n_tok].float().repeat(1 + len(layout), 1))


def test_train_scenes_resumes_exactly(runs):
    ft = ["vidlet_train.train_scenes", "--base", str(runs / "base" / "final.pt"), "--data", str(runs / "data"),
          "--scene-data", str(runs / "scn"), "--steps", "3", "--batch", "2", "--warmup", "1", "--multi-prob", "0.7", "--temporal-weight", "0.5"]
    run(*ft, "--out", str(runs / "ft"), cwd=HERE)
    run(*ft, "--out", str(runs / "ft-resumed"), "--stop-at", "2", cwd=HERE)
    assert "resumed at step 2" in run(*ft, "--out", str(runs / "ft-resumed"), cwd=HERE)
    assert ends(runs / "ft-resumed") == [2, 3] and ends(runs / "ft") == [3]
    assert same_weights(runs / "ft" / "final.pt", runs / "ft-resumed" / "final.pt", "ema")
    # a fresh run starts from the base's weights (0 steps: final.pt is the base exactly)
    run(*[a if a != "3" else "0" for a in ft], "--out", str(runs / "ft0"), cwd=HERE)
    assert same_weights(runs / "base" / "final.pt", runs / "ft0" / "final.pt", "ema")
    assert json.load(open(runs / "ft" / "run.json"))["config"]["layouts"]


def test_export_recover_and_measure_a_scene_package(runs):
    pkg = runs / "pkg"
    pkg.mkdir()
    for f in ("text_encoder.onnx", "text_encoder.int8.onnx"):
        shutil.copy(os.path.join(SHIPPED, f), pkg / f)
    run("vidlet_train.export", "--vae", str(runs / "vae.pt"), "--dit", str(runs / "ft" / "final.pt"), "--out", str(pkg),
        "--skip-text-encoder", "--scenes", cwd=HERE)
    manifest = json.load(open(pkg / "manifest.json"))
    assert manifest["scenes"] == graph_io.PER_SCENE
    assert manifest["components"]["denoiser"]["inputs"]["text_frame_mask"] == "text_frame_mask"
    errors = json.load(open(pkg / "export_report.json"))["max_abs_error_vs_pytorch"]
    assert {"denoiser.scenes2", "denoiser.scenes3", "vaeDecoder.t3x"} <= set(errors)
    out = run("vidlet_train.recover", "--package", str(pkg), "--out", str(runs / "rec"), cwd=HERE)
    assert max(json.loads(out)["max_abs_error_vs_shipped_onnx"].values()) < 1e-4
    run("vidlet_train.scene_eval", "--package", str(pkg), "--variant", "fp32", "--plans", "3", "--steps", "1",
        "--out", str(runs / "eval"), "--truth-data", str(runs / "scn"), "--truth-clips", "2", cwd=HERE)
    report = json.load(open(runs / "eval" / "report.json"))
    assert report["per_scene_conditioning"] and report["plans"] == 3 and report["scenes_judged"] == 6
    assert [r["frames"] for r in report["rows"]] == [16, 32, 48]  # each plan made at its own length
    assert all(1 <= r["found"] <= 48 for r in report["rows"])
    # the cut figures, and the same for ground truth through the package's VAE
    assert report["cuts"]["planned"] == 3 and 0 <= report["cuts"]["planned_found"] <= 3
    truth = report["truth"]
    assert truth["clips"] == 2 and truth["cuts"]["planned"] >= 2  # dataset --scenes clips have 2-3 scenes
