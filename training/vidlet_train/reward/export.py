"""Export the reward model as an optional package component (CONTRACT.md): ONNX opset 17 in fp32 and
weight-only int8, each checked against PyTorch in onnxruntime, and the manifest fragment that declares it.

python -m vidlet_train.reward.export --ckpt runs/reward/final.pt --out runs/reward/export
(--ckpt random: an untrained network of the default architecture, for wiring the engine early)

Writes reward_model.onnx, reward_model.int8.onnx, manifest-fragment.json (components.rewardModel and
the top-level "reward" block, with bytes and sha256) and export_report.json (max |onnxruntime − PyTorch|
per graph and output, parameters, bytes, CPU time per clip). Nothing in public/ or src/ is touched: the
lead merges the fragment into a package's manifest.json and copies the two files beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

from ..export import OPSET, export_graph, sha256
from ..quant import quantize_conv_weights, quantize_weights_only
from ..text_encoder import MAX_LENGTH
from .btt import BTT_THETA
from .model import SCORE_NAMES, RewardConfig, RewardModel, count_params

COMPONENT = "rewardModel"
FILE_STEM = "reward_model"
INPUTS = ["video", "text", "text_mask"]
OUTPUTS = ["scores", "features"]
# Largest accepted max |onnxruntime − PyTorch| on random inputs, per output. fp32 differs only by kernel
# order. int8 weights move scores by a few hundredths (0.038 on the smoke model, README.md);
# 0.25 is a sixth of the tie margin (ln 4.6 ≈ 1.53), so an int8 take's A/B/tie call changes only for
# pairs already at the margin.
TOLERANCE = {"fp32": 1e-3, "int8": 0.25}


class ExportError(RuntimeError):
    pass


def load_model(ckpt: str) -> RewardModel:
    if ckpt == "random":
        return RewardModel(RewardConfig()).eval()
    ck = torch.load(ckpt, map_location="cpu", weights_only=False)
    model = RewardModel(RewardConfig(**{"match": 0, **ck["cfg"]}))  # configs before `match` had none
    model.load_state_dict(ck["model"])
    return model.eval()


def example_inputs(cfg: RewardConfig, batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(batch, MAX_LENGTH)
    mask[:, 12:] = 0  # a short prompt: pads must not matter
    if batch > 1:
        mask[1:, 20:] = 1
    return {"video": torch.rand(batch, 3, cfg.frames, cfg.size, cfg.size, generator=g) * 2 - 1,
            "text": torch.randn(batch, MAX_LENGTH, cfg.text_dim, generator=g),
            "text_mask": mask}


def max_errors(path: str, model: RewardModel, feeds: dict[str, torch.Tensor]) -> dict[str, float]:
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(OUTPUTS, {k: v.numpy() for k, v in feeds.items()})
    with torch.no_grad():
        ref = model(*feeds.values())
    return {name: float(np.abs(g - r.numpy()).max()) for name, g, r in zip(OUTPUTS, got, ref)}


def cpu_ms_per_clip(path: str, feeds: dict[str, torch.Tensor], repeats: int = 3) -> float:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    arrays = {k: v.numpy() for k, v in feeds.items()}
    sess.run(OUTPUTS, arrays)
    t = time.process_time()
    for _ in range(repeats):
        sess.run(OUTPUTS, arrays)
    return (time.process_time() - t) / repeats / len(feeds["video"]) * 1000


def export_reward(model: RewardModel, out: str) -> dict:
    """Write both graphs into `out`, check them, and return the report (raises ExportError beyond TOLERANCE)."""
    os.makedirs(out, exist_ok=True)
    cfg = model.cfg
    fp32, int8 = os.path.join(out, f"{FILE_STEM}.onnx"), os.path.join(out, f"{FILE_STEM}.int8.onnx")
    feeds = example_inputs(cfg, 2)
    dynamic = {n: {0: "b"} for n in INPUTS + OUTPUTS}
    export_graph(model, tuple(feeds.values()), fp32, INPUTS, OUTPUTS, dynamic)
    with tempfile.TemporaryDirectory() as tmp:
        # Conv weights: int8 + DequantizeLinear in front of the float Conv (the VAE's scheme); then
        # MatMul weights (text projection, attention, MLP): weight-only int8, one scale per column
        convs = os.path.join(tmp, "conv.int8.onnx")
        n_conv = quantize_conv_weights(fp32, convs)
        counts = quantize_weights_only(convs, int8)
    errors = {}
    for variant, path in (("fp32", fp32), ("int8", int8)):
        for batch in (1, 3):
            for name, err in max_errors(path, model, example_inputs(cfg, batch, seed=batch)).items():
                key = f"{variant}.{name}"
                errors[key] = max(errors.get(key, 0.0), err)
    over = {k: v for k, v in errors.items() if not v <= TOLERANCE[k.split(".")[0]]}
    if over:
        raise ExportError("exported reward graphs differ from PyTorch beyond tolerance: "
                          + ", ".join(f"{k} {v:.4g} > {TOLERANCE[k.split('.')[0]]}" for k, v in over.items()))
    one = example_inputs(cfg, 1)
    return {"max_abs_error_vs_pytorch": errors, "tolerance": TOLERANCE, "opset": OPSET, "params": count_params(model),
            "quantized": {"Conv": n_conv, **counts}, "config": cfg.to_dict(),
            "bytes": {os.path.basename(p): os.path.getsize(p) for p in (fp32, int8)},
            "cpu_ms_per_clip_1_thread": {"fp32": round(cpu_ms_per_clip(fp32, one), 1),
                                         "int8": round(cpu_ms_per_clip(int8, one), 1)}}


def manifest_fragment(out: str, cfg: RewardConfig, training: dict | None = None) -> dict:
    """components.rewardModel (as every component: role maps + variants with bytes and sha256) and the
    top-level "reward" block the engine and page need to use the scores (CONTRACT.md)."""
    def entry(name):
        path = os.path.join(out, name)
        return {"path": name, "bytes": os.path.getsize(path), "sha256": sha256(path)}

    return {
        "components": {COMPONENT: {"inputs": {n: n for n in INPUTS}, "outputs": {n: n for n in OUTPUTS},
                                   "variants": {"fp32": {"files": [entry(f"{FILE_STEM}.onnx")]},
                                                "int8": {"files": [entry(f"{FILE_STEM}.int8.onnx")]}}}},
        "reward": {"component": COMPONENT, "dimensions": list(SCORE_NAMES), "features": cfg.features,
                   "tieTheta": BTT_THETA, "video": {"frames": cfg.frames, "height": cfg.size, "width": cfg.size},
                   "appliesTo": "finished clips (the VAE decoder's output)",
                   "data": "proxy preference pairs (procedural world, known degradations; "
                           "optionally judged own generations), not human votes",
                   **({"training": training} if training else {})},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="runs/reward/final.pt")
    ap.add_argument("--out", default="runs/reward/export")
    args = ap.parse_args(argv)
    model = load_model(args.ckpt)
    report = export_reward(model, args.out)
    training = None
    run = os.path.join(os.path.dirname(args.ckpt), "run.json")
    if args.ckpt != "random" and os.path.exists(run):
        starts = json.load(open(run))["starts"]
        # argv[0] is the script's path on the training machine; the card wants the command to type.
        training = {"command": " ".join(["python -m vidlet_train.reward.train", *starts[0]["argv"][1:]]), "commit": starts[-1]["commit"]}
    json.dump(manifest_fragment(args.out, model.cfg, training), open(os.path.join(args.out, "manifest-fragment.json"), "w"), indent=2)
    json.dump(report, open(os.path.join(args.out, "export_report.json"), "w"), indent=2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
