"""The fp16 variant (quant.to_fp16): half-precision weights and arithmetic inside, float32 at the graph
boundary, the modules transformers/diffusers keep in float32 kept in float32, measured against PyTorch
and gated like every variant. The tiny Wan and LTX packages are conftest's (converted with fp16)."""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
import torch

from vidlet_convert import onnx_io
from vidlet_convert.__main__ import main, parse_args
from vidlet_convert.package import TOLERANCE
from vidlet_convert.quant import keep_in_fp32, to_fp16

from conftest import FRAMES, HEIGHT, L, WIDTH

FLOAT, HALF = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16


def manifest(out: str) -> dict:
    return json.load(open(os.path.join(out, "manifest.json")))


def graph(out: str, role: str) -> onnx.ModelProto:
    return onnx.load(os.path.join(out, manifest(out)["components"][role]["variants"]["fp16"]["files"][0]["path"]),
                     load_external_data=False)


def value_dtypes(path: str, feeds: dict[str, np.ndarray], names: list[str]) -> dict[str, np.dtype]:
    """The element type onnxruntime actually computes for each named value: the graph run with them as outputs."""
    m = onnx.load(path)
    m.graph.output.extend([onnx.helper.make_empty_tensor_value_info(n) for n in names])
    out = onnx_io.session(m.SerializeToString()).run(names, feeds)
    return {n: a.dtype for n, a in zip(names, out)}


@pytest.mark.parametrize("package", ["converted", "ltx_converted"])
def test_every_component_has_an_fp16_graph_within_tolerance_float32_at_the_boundary(package, request):
    out = request.getfixturevalue(package)[1]
    m = manifest(out)
    report = json.load(open(os.path.join(out, "convert_report.json")))
    for role, comp in m["components"].items():
        v = comp["variants"]["fp16"]
        assert v["requires"] == ["shader-f16"], role
        e = report["errors"][f"{role}.fp16"]
        print(f"{package} {role}.fp16: relative {e['relative']:.3g} (mean {e['mean_relative']:.3g})")
        assert e["relative"] <= TOLERANCE["fp16"] and e["peak"] > 0, role
        g = graph(out, role).graph
        # the contract: float32 (or int64 ids and masks) in and out, whatever the variant
        assert {t.type.tensor_type.elem_type for t in [*g.input, *g.output]} <= {FLOAT, onnx.TensorProto.INT64}, role
    # the weights are half; the sizes are recorded. At the published widths the denoiser's and VAE's fp16
    # files are 0.50-0.52 of fp32 and the text encoder's 0.61 (T5's `wo`, a fifth of a block, stays float32).
    # In these tiny graphs the graph file is a large fixed share (the tiny VAE's fp16 files are larger than
    # its fp32 ones: its kept norm chains' Casts), so the weights are compared here
    def weight_bytes(variant: str) -> int:
        g = onnx.load(os.path.join(out, m["components"][role]["variants"][variant]["files"][0]["path"]),
                      load_external_data=False).graph
        return sum(onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize * int(np.prod(t.dims)) for t in g.initializer)

    for role in ("textEncoder", "denoiser", "vaeDecoder"):
        ratio = weight_bytes("fp16") / weight_bytes("fp32")
        print(f"{package} {role}: fp16 / fp32 weight bytes {ratio:.3f}, files "
              f"{report['bytes'][f'{role}.fp16'] / report['bytes'][f'{role}.fp32']:.3f}")
        assert 0.45 < ratio < 0.85, (role, ratio)
        half = sum(os.path.getsize(os.path.join(out, f["path"])) for f in m["components"][role]["variants"]["fp16"]["files"])
        assert report["bytes"][f"{role}.fp16"] == half


def test_initializers_are_half_except_those_only_kept_nodes_read(converted):
    """Wan's denoiser: every float weight is float16 but the parameters of WanTransformer3DModel's
    _keep_in_fp32_modules (time_embedder, scale_shift_table, rope's tables, the norms' affine weights)
    and the constants of the float32 norm chains."""
    from diffusers import WanTransformer3DModel

    _, out = converted
    g = graph(out, "denoiser").graph
    half = [t.name for t in g.initializer if t.data_type == HALF]
    single = [t.name for t in g.initializer if t.data_type == FLOAT]
    keep = WanTransformer3DModel._keep_in_fp32_modules
    assert {"time_embedder", "scale_shift_table", "rope"} <= set(keep)
    readers: dict[str, list[str]] = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n.name)
    named = [n for n in single if not n.startswith("val_")]  # val_*: the exporter's constants (ε, shapes)
    # a kept module's parameter, or a folded constant only kept nodes read (the sinusoid's frequencies,
    # read through the float32 input Cast of the timestep projection: quant.fp32_nodes' Sin/Cos rule)
    assert named and all(any(k in n.split(".") for k in keep) or all("_input_cast" in r for r in readers[n])
                         for n in named), named
    # the large weights of every other module are half (attention, feed-forward, text and time projections)
    assert any(".attn1.to_q." in n for n in half) and any(".ffn." in n for n in half), half


def test_kept_modules_compute_in_float32(converted):
    """What onnxruntime computes: the outputs of the nodes of Wan's kept modules (norm1, time_embedder)
    are float32 arrays, those of an attention projection float16; in the umT5 text encoder, the
    feed-forward's `wo` and the residual sums are float32 (transformers keeps `wo` in float32, which
    keeps the residual stream float32)."""
    _, out = converted
    rng = np.random.default_rng(0)
    m = manifest(out)
    lt = m["latent"]
    feeds = {"latent": rng.standard_normal((2, lt["channels"], lt["frames"], lt["height"], lt["width"]), np.float32),
             "timestep": np.array([0.9, 0.3], np.float32),
             "text": rng.standard_normal((2, L, m["text"]["hiddenSize"]), np.float32),
             "text_mask": np.ones((2, L), np.float32)}
    g = graph(out, "denoiser").graph
    scope = lambda n: n.name.rpartition("/")[0]  # noqa: E731  (onnx_io.export's module path)
    kept = [n.output[0] for n in g.node if n.op_type != "Cast" and
            (scope(n) == "tr.blocks.0.norm1" or scope(n).startswith("tr.condition_embedder.time_embedder"))]
    halfed = [n.output[0] for n in g.node if scope(n) == "tr.blocks.0.attn1.to_q" and n.op_type == "MatMul"]
    assert kept and halfed
    path = os.path.join(out, m["components"]["denoiser"]["variants"]["fp16"]["files"][0]["path"])
    dtypes = value_dtypes(path, feeds, kept + halfed)
    assert all(dtypes[n] == np.float32 for n in kept), dtypes
    assert all(dtypes[n] == np.float16 for n in halfed), dtypes

    te = graph(out, "textEncoder").graph
    wo = [n.output[0] for n in te.node if n.op_type == "MatMul" and scope(n).endswith("DenseReluDense.wo")]
    residual = [n.output[0] for n in te.node if n.op_type == "Add" and scope(n).split("/")[-1] in ("block.layer.0",
                                                                                                     "block.layer.1")]
    wi = [n.output[0] for n in te.node if n.op_type == "MatMul" and scope(n).endswith("DenseReluDense.wi_0")]
    assert len(wo) == 2 and len(residual) == 4 and wi  # 2 blocks
    ids = rng.integers(3, 64, (2, L)).astype(np.int64)
    path = os.path.join(out, m["components"]["textEncoder"]["variants"]["fp16"]["files"][0]["path"])
    dtypes = value_dtypes(path, {"input_ids": ids, "attention_mask": np.ones((2, L), np.int64)}, wo + residual + wi)
    assert all(dtypes[n] == np.float32 for n in wo + residual), dtypes
    assert all(dtypes[n] == np.float16 for n in wi), dtypes


def test_keeping_t5s_feed_forward_in_float32_is_what_avoids_the_overflow(tmp_path):
    """A umT5 block whose feed-forward output passes half's 65504 (as T5's do: why transformers keeps `wo`
    in float32): with `wo`, the residual sums and the norms kept (text_layers.UMT5), the fp16 graph is
    finite and within tolerance; with nothing kept, it is not."""
    from transformers import UMT5Config, UMT5EncoderModel
    from transformers.models.umt5.modeling_umt5 import UMT5Block

    from vidlet_convert.fixture import TEXT
    from vidlet_convert.text_layers import UMT5, BlockStage

    config = UMT5Config(**TEXT)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    block = UMT5Block(config, layer_idx=0).eval()
    with torch.no_grad():
        block.layer[1].DenseReluDense.wo.weight.mul_(2e5)  # the stream reaches ~1e5
    stage = BlockStage(config, block, masked=True).eval()
    hidden, mask = torch.randn(2, L, config.d_model), torch.ones(2, L, dtype=torch.long)
    with torch.no_grad():
        ref = stage(hidden, mask).numpy()
    assert np.abs(ref).max() > 65504  # the test's premise
    feeds = {"hidden": hidden.numpy(), "attention_mask": mask.numpy()}

    def fp16_error(keep, scopes) -> float:
        m = onnx_io.export(stage, (hidden, mask), ["hidden", "attention_mask"], ["out"], ["hidden", "attention_mask"])
        onnx_io.to_raw_data(m)
        to_fp16(m, keep, scopes)
        # onnx's reference evaluator computes each node in the graph's own types (numpy float16 for half);
        # onnxruntime's CPU provider has no half kernels for most ops here and removes the float32 →
        # float16 → float32 round trips it inserts around them, which hides the overflow (measured:
        # 4.7e-4 with nothing kept)
        from onnx.reference import ReferenceEvaluator

        with np.errstate(over="ignore", invalid="ignore"):
            got = ReferenceEvaluator(m).run(None, feeds)[0]
        return float(np.abs(got - ref).max() / np.abs(ref).max())

    assert keep_in_fp32(UMT5EncoderModel) == ("wo",)
    kept = fp16_error(keep_in_fp32(UMT5EncoderModel), UMT5.fp32_scopes)
    bare = fp16_error((), ())
    print(f"fp16 block with the stream past 65504: kept {kept:.3g}, nothing kept {bare}")
    assert kept <= TOLERANCE["fp16"]
    assert not bare <= TOLERANCE["fp16"]  # inf or NaN compares false too


def test_the_gate_refuses_an_fp16_graph_beyond_tolerance(converted, tmp_path, monkeypatch):
    """The preview decoder alone (the quickest graph), with an fp16 tolerance half precision cannot meet:
    exit 1, the measured error and the refusal in convert_report.json."""
    from vidlet_convert import package

    src, _ = converted
    monkeypatch.setitem(package.TOLERANCE, "fp16", 1e-9)
    out = str(tmp_path / "pkg")
    assert main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width",
                 str(WIDTH), "--max-length", str(L), "--only", "previewDecoder", "--variants", "fp32,fp16"]) == 1
    report = json.load(open(os.path.join(out, "convert_report.json")))
    assert [r.split()[0] for r in report["refused"]] == ["previewDecoder.fp16"]
    assert report["errors"]["previewDecoder.fp16"]["relative"] > 0 and report["tolerance"]["fp16"] == 1e-9


def test_cli_takes_fp16():
    assert parse_args(["wan", "--from", "x", "--out", "y", "--variants", "fp32,fp16"]).variants == ["fp32", "fp16"]
    assert parse_args(["ltx", "--from", "x", "--out", "y"]).variants == ["fp32", "int8", "q4"]  # the default
    with pytest.raises(SystemExit):
        parse_args(["wan", "--from", "x", "--out", "y", "--variants", "fp32,bf16"])
