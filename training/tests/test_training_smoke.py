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


def test_train_and_export_smoke(tmp_path):
    runs = tmp_path / "runs"
    run("vidlet_train.train_vae", "--out", str(runs / "vae"), "--pool", "4", "--max-steps", "3", "--batch", "2",
        "--minutes", "2", cwd=HERE)
    assert json.load(open(runs / "vae" / "stats.json"))["step"] == 3
    run("vidlet_train.dataset", "--vae", str(runs / "vae" / "final.pt"), "--n", "8", "--out", str(runs / "data.pt"),
        cwd=HERE)
    run("vidlet_train.train_dit", "--data", str(runs / "data.pt"), "--out", str(runs / "dit"), "--max-steps", "3",
        "--batch", "4", "--minutes", "2", cwd=HERE)
    assert json.load(open(runs / "dit" / "stats.json"))["step"] == 3
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
