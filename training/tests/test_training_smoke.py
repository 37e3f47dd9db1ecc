"""A few CPU steps of every training stage, then an export checked in onnxruntime (CI smoke test).

The same commands train the shipped model with more minutes (see public/models/vidlet-tiny/MODEL_CARD.md).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import onnxruntime as ort

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(HERE, "..", "public", "models", "vidlet-tiny")


def run(*args, cwd):
    subprocess.run([sys.executable, "-m", *args], cwd=cwd, check=True, env={**os.environ, "PYTHONPATH": HERE})


TINY_VAE = ["--enc-hi", "8", "--enc-lo", "16", "--dec-lo", "16", "--dec-mid", "16", "--dec-hi", "8", "--dec-top", "8"]
TINY_DIT = ["--dim", "32", "--depth", "2", "--heads", "2"]


def same_weights(a, b, key):
    import torch
    sa, sb = torch.load(a, weights_only=False)[key], torch.load(b, weights_only=False)[key]
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_train_and_export_smoke(tmp_path):
    runs = tmp_path / "runs"
    vae = ["vidlet_train.train_vae", "--pool", "4", "--steps", "3", "--batch", "2", "--held-out", "2",
           "--eval-every", "2", "--refresh", "2", *TINY_VAE]
    run(*vae, "--out", str(runs / "vae"), cwd=HERE)
    # stopped at step 2 and resumed: the same weights as the straight run (optimizer, RNG, pool restored)
    run(*vae, "--out", str(runs / "vae-resumed"), "--stop-at", "2", cwd=HERE)
    assert not (runs / "vae-resumed" / "final.pt").exists()
    run(*vae, "--out", str(runs / "vae-resumed"), cwd=HERE)
    assert same_weights(runs / "vae" / "final.pt", runs / "vae-resumed" / "final.pt", "vae")
    final = [json.loads(line) for line in open(runs / "vae" / "log.jsonl")][-1]
    assert final["final"] and final["step"] == 3
    run("vidlet_train.dataset", "--vae", str(runs / "vae" / "final.pt"), "--n", "8", "--shard", "4", "--captions", "2",
        "--out", str(runs / "data"), cwd=HERE)
    assert sorted(os.listdir(runs / "data")) == ["empty.pt", "shard-00000.pt", "shard-00001.pt"]
    dit = ["vidlet_train.train_dit", "--data", str(runs / "data"), "--steps", "3", "--batch", "4", "--warmup", "1", *TINY_DIT]
    run(*dit, "--out", str(runs / "dit"), cwd=HERE)
    run(*dit, "--out", str(runs / "dit-resumed"), "--stop-at", "2", cwd=HERE)
    run(*dit, "--out", str(runs / "dit-resumed"), cwd=HERE)
    assert same_weights(runs / "dit" / "final.pt", runs / "dit-resumed" / "final.pt", "ema")
    assert [json.loads(line) for line in open(runs / "dit" / "log.jsonl")][-1]["step"] == 3
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for f in ("text_encoder.onnx", "text_encoder.int8.onnx"):  # frozen and shipped: not re-exported here
        shutil.copy(os.path.join(SHIPPED, f), pkg / f)
    run("vidlet_train.export", "--vae", str(runs / "vae" / "final.pt"), "--dit", str(runs / "dit" / "final.pt"),
        "--out", str(pkg), "--skip-text-encoder", cwd=HERE)
    manifest = json.load(open(pkg / "manifest.json"))
    report = json.load(open(pkg / "export_report.json"))
    assert report["max_abs_error_vs_pytorch"]["denoiser"] < 1e-3
    assert report["max_abs_error_vs_pytorch"]["vaeDecoder"] < 1e-3
    assert report["max_abs_error_vs_pytorch"]["denoiser.lora_zero_scale_vs_empty_slots"] == 0.0
    for comp in manifest["components"].values():
        assert set(comp["variants"]) == {"fp32", "int8"}
        for variant in comp["variants"].values():
            for f in variant["files"]:
                assert os.path.getsize(pkg / f["path"]) == f["bytes"]
                assert hashlib.sha256(open(pkg / f["path"], "rb").read()).hexdigest() == f["sha256"]
                sess = ort.InferenceSession(str(pkg / f["path"]), providers=["CPUExecutionProvider"])
                assert sorted(i.name for i in sess.get_inputs()) == sorted(comp["inputs"].values())
    # the engine's path through the exported files: tokenizer, text encoder, batched guidance, VAE decoder
    sys.path.insert(0, HERE)
    from vidlet_train.evaluate import Package
    for variant in ("fp32", "int8"):
        frames = Package(str(pkg), variant).generate(["a red circle moves left on a blue background", ""], [1, 2], steps=2)
        assert frames.shape == (2, 16, 128, 128, 3) and frames.dtype.name == "uint8"
