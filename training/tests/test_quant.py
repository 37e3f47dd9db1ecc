"""Weight-only int8 (vidlet_train/quant.py) on a tiny Gather -> MatMul graph: int8 weights in the file,
output close to float, outlier entries and exact rows really exact."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from vidlet_train.quant import gptq_int8, quantize_weights_only  # noqa: E402


def _graph(tmp_path, emb, w):
    g = helper.make_graph(
        [helper.make_node("Gather", ["emb", "ids"], ["x"], axis=0), helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "n", w.shape[1]])],
        [numpy_helper.from_array(emb, "emb"), numpy_helper.from_array(w, "w")])
    path = str(tmp_path / "f.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def _run(path, ids):
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["y"], {"ids": ids})[0]


def test_weight_only_int8_graph(tmp_path):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(500, 64)).astype(np.float32)
    w = (rng.normal(size=(64, 96)) * 0.05).astype(np.float32)
    w[7, 3] = 4.0  # one huge entry: it would set column 3's scale alone
    src = _graph(tmp_path, emb, w)
    ids = rng.integers(0, 500, size=(4, 16)).astype(np.int64)
    ids[:, -1] = 0  # a row kept exact
    calib = [{"ids": rng.integers(0, 500, size=(8, 16)).astype(np.int64)}]
    dst = str(tmp_path / "q.onnx")
    counts = quantize_weights_only(src, dst, calib, outlier_sigma=6.0, exact_rows=(0,), min_elements=1000)
    assert counts == {"MatMul": 1, "Gather": 1, "outlier_entries": 1, "exact_rows": 1}
    m = onnx.load(dst)
    dtypes = {i.name: i.data_type for i in m.graph.initializer}
    assert dtypes["w_q"] == TensorProto.INT8 and dtypes["emb_q"] == TensorProto.INT8
    assert "w" not in dtypes and "emb" not in dtypes
    ref, got = _run(src, ids), _run(dst, ids)
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 0.01
    # the outlier entry is kept in float beside the int8 matrix; every other entry is within half a step
    q, scale, rows, outlier_w = gptq_int8(w, None, 6.0)
    assert list(rows) == [7] and outlier_w[0, 3] == np.float32(4.0) and q[7, 3] == 0
    rest = w.copy()
    rest[7, 3] = 0
    assert np.all(np.abs(q * scale - rest) <= scale / 2 + 1e-7)
    assert scale[3] < 0.01  # column 3's scale comes from its ordinary entries, not from the 4.0

def test_gptq_beats_plain_rounding_on_correlated_inputs():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 128)) @ rng.normal(size=(128, 128)) * 0.3
    x[:, 5] *= 20  # an outlier input channel, as in MiniLM's FFN
    w = rng.normal(size=(128, 64)).astype(np.float32)
    err = {}
    for name, gram in (("plain", None), ("gptq", x.T @ x)):
        q, s, rows, ow = gptq_int8(w, gram, None)
        err[name] = np.linalg.norm(x @ (q * s) - x @ w)
    assert err["gptq"] < 0.7 * err["plain"]
