"""Load one converted graph in onnxruntime-web (wasm, Node: the engine's CPU path) and run it once on
random inputs, against onnxruntime on the same inputs: the scale test (issue #11) for a full-size
denoiser. Reports load and run time and the Node process's peak memory.

python -m vidlet_convert.web_step PKG/denoiser.q4.onnx [--threads 1]
python -m vidlet_convert.web_step PKG/text_encoder.q4.onnx PKG/text_encoder.q4.part1.onnx ...   (a text
encoder's parts, run in order, each released before the next, as the engine runs them)
(the external-data shards are found from the graphs' own references)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile

import numpy as np
import onnx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(REPO, "convert", "tests", "ort_web_run.mjs")


def graph_io(path: str):
    """(inputs as (name, dtype, shape with symbolic axes as 2), output names, external-data files)."""
    g = onnx.load(path, load_external_data=False)
    types = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64}
    inputs = [(i.name, types[i.type.tensor_type.elem_type],
               [d.dim_value if d.HasField("dim_value") else 2 for d in i.type.tensor_type.shape.dim]) for i in g.graph.input]
    files = sorted({e.value for t in g.graph.initializer for e in t.external_data if e.key == "location"})
    return inputs, [o.name for o in g.graph.output], files


def random_feeds(inputs, seed: int = 0) -> dict[str, np.ndarray]:
    """N(0,1) floats; masks all ones; timesteps in (0,1); token ids small (valid in any vocabulary)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for name, dtype, shape in inputs:
        if "mask" in name:
            feeds[name] = np.ones(shape, dtype)
        elif name == "timestep":
            feeds[name] = rng.uniform(0.05, 0.95, shape).astype(dtype)
        elif dtype == np.int64:
            feeds[name] = rng.integers(3, 32, shape).astype(dtype)
        else:
            feeds[name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def web_step(path: str | list[str], threads: int = 1) -> dict:
    """One graph, or a text encoder's parts in order (the later parts' inputs come from the earlier outputs)."""
    from . import onnx_io
    from .text_layers import run_parts

    paths = [path] if isinstance(path, str) else list(path)
    inputs, _, files = graph_io(paths[0])
    _, outputs, _ = graph_io(paths[-1])
    feeds = random_feeds(inputs)
    with tempfile.TemporaryDirectory() as tmp:
        spec = {"graph": os.path.abspath(paths[0]), "external": files, "outputs": outputs, "out": tmp, "threads": threads,
                "feeds": {}, "parts": [{"graph": os.path.abspath(p), "external": graph_io(p)[2]} for p in paths[1:]]}
        for name, a in feeds.items():
            a.tofile(os.path.join(tmp, f"in-{name}.bin"))
            spec["feeds"][name] = {"dtype": str(a.dtype), "dims": list(a.shape), "file": os.path.join(tmp, f"in-{name}.bin")}
        json.dump(spec, open(os.path.join(tmp, "spec.json"), "w"))
        subprocess.run(["node", RUNNER, os.path.join(tmp, "spec.json")], check=True, cwd=REPO)
        node_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        written = json.load(open(os.path.join(tmp, "outputs.json")))
        web = [np.fromfile(written[n]["file"], np.float32).reshape(written[n]["dims"]) for n in outputs]
    native = onnx_io.run(paths[0], feeds, outputs) if len(paths) == 1 else [run_parts(paths, feeds)]
    rel = max(float(np.abs(a - b).max()) / max(float(np.abs(a).max()), 1e-12) for a, b in zip(native, web))
    return {"graph": paths if len(paths) > 1 else paths[0],
            "bytes": sum(os.path.getsize(os.path.join(os.path.dirname(p), f)) for p in paths
                         for f in [os.path.basename(p), *graph_io(p)[2]]),
            "inputs": {n: s for n, _, s in inputs}, "web_threads": threads, **written["timings"],
            "node_peak_rss_bytes": node_peak, "web_vs_native_relative": rel}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m vidlet_convert.web_step")
    ap.add_argument("graph", nargs="+", help="a graph, or a text encoder's parts in order")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    print(json.dumps(web_step(args.graph if len(args.graph) > 1 else args.graph[0], args.threads), indent=1))


if __name__ == "__main__":
    main()
