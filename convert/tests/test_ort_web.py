"""The converted graphs in onnxruntime-web (wasm, Node: what the engine runs without WebGPU) against
onnxruntime, every component and variant of the tiny Wan and LTX packages, weights in several external-data
shards loaded the way src/engine/sessions.ts passes them."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
from prereq import require_node_modules

from vidlet_convert import onnx_io
from vidlet_convert.components import example_inputs

HERE = os.path.dirname(__file__)
REPO = os.path.dirname(os.path.dirname(HERE))
# Same graph, same inputs, two builds of onnxruntime (native CPU, wasm SIMD): kernel order only.
WEB_TOLERANCE = 1e-5
# fp16: the two builds round to half in different places (native CPU runs most ops in float32 between
# Casts it inserts; wasm has half kernels of its own): measured up to 4.9e-4 on the tiny packages
WEB_TOLERANCE_FP16 = 2e-3

@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("onnxruntime-web")


def run_web(graph: str, external: list[str], feeds: dict[str, np.ndarray], outputs: list[str], tmp) -> list[np.ndarray]:
    spec = {"graph": graph, "external": external, "outputs": outputs, "out": str(tmp), "feeds": {}}
    for name, a in feeds.items():
        path = os.path.join(tmp, f"in-{name}.bin")
        a.tofile(path)
        spec["feeds"][name] = {"dtype": str(a.dtype), "dims": list(a.shape), "file": path}
    spec_path = os.path.join(tmp, "spec.json")
    json.dump(spec, open(spec_path, "w"))
    subprocess.run(["node", os.path.join(HERE, "ort_web_run.mjs"), spec_path], check=True, cwd=REPO, timeout=300)
    written = json.load(open(os.path.join(tmp, "outputs.json")))  # + timings (loadMs, runMs)
    return [np.fromfile(written[n]["file"], np.float32).reshape(written[n]["dims"]) for n in outputs]


@pytest.mark.parametrize("package", ["converted", "ltx_converted"])
def test_every_graph_runs_the_same_in_onnxruntime_web(package, request, tmp_path):
    out = request.getfixturevalue(package)[1]
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    comps = manifest["components"]
    lt = manifest["latent"]

    # vocabulary 64: both fixtures' (fixture.py, ltx_fixture.py); any id below it is a valid token
    feeds = example_inputs(64, lt["channels"], manifest["text"]["hiddenSize"], (lt["frames"], lt["height"], lt["width"]),
                           manifest["text"]["maxLength"], seed=3)
    checked = 0
    for role, comp in comps.items():
        for variant, v in comp["variants"].items():
            graph = os.path.join(out, v["files"][0]["path"])
            names = list(comp["outputs"].values())
            f = {comp["inputs"][k]: t.numpy() for k, t in feeds[role].items()}
            native = onnx_io.run(graph, f, names)
            d = tmp_path / f"{role}-{variant}"
            d.mkdir()
            web = run_web(graph, [x["path"] for x in v["files"][1:]], f, names, str(d))
            for a, b in zip(native, web):
                assert a.shape == b.shape
                rel = float(np.abs(a - b).max()) / max(float(np.abs(a).max()), 1e-12)
                print(f"{package} {role}.{variant}: onnxruntime-web vs onnxruntime relative {rel:.3g}")
                assert rel <= (WEB_TOLERANCE_FP16 if variant == "fp16" else WEB_TOLERANCE), (role, variant, rel)
            checked += 1
    assert checked == 12  # 4 graphs in fp32 and fp16 + int8 and q4 text encoder and denoiser


def test_web_step_runs_a_graph_once_and_reports(converted):
    """python -m vidlet_convert.web_step (the full-size scale test's tool) on the tiny q4 denoiser."""
    from vidlet_convert.web_step import web_step

    _, out = converted
    r = web_step(os.path.join(out, "denoiser.q4.onnx"))
    assert r["web_vs_native_relative"] <= WEB_TOLERANCE and r["runMs"] > 0 and r["node_peak_rss_bytes"] > 0
    assert r["inputs"]["latent"] == [2, 16, 3, 4, 4]  # the symbolic batch run at 2, as the engine's CFG batch
