"""The text encoder converted a stage at a time (vidlet_convert/text_layers.py) is the whole encoder:
the joined graph against transformers' UMT5EncoderModel loaded whole, on a checkpoint written block by
block in shards (fixture.write_text_encoder, the path the full-size scale test takes)."""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
import torch

from vidlet_convert.components import example_inputs
from vidlet_convert.fixture import TEXT, write_text_encoder
from vidlet_convert.onnx_io import ShardWriter, run
from vidlet_convert.text_layers import convert_text_encoder, run_parts
from vidlet_convert.wan_graphs import WanTextEncoder

L = 16
# deeper than the tiny fixture, with a vocabulary large enough for the table to need several parts
CONFIG = {**TEXT, "num_layers": 3, "vocab_size": 1000}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    src = str(tmp_path_factory.mktemp("te-src"))
    out = str(tmp_path_factory.mktemp("te-out"))
    # shards of 64 KB: the checkpoint spreads over several files and the float table (128 KB) over parts
    params = write_text_encoder(src, CONFIG, seed=3, dtype=torch.float32, shard_bytes=64 * 1024)
    feeds = example_inputs(CONFIG["vocab_size"], 16, CONFIG["d_model"], (1, 2, 2), L, seed=5)["textEncoder"]
    errors, component, sizes, extra = convert_text_encoder(src, feeds, out, ["fp32", "fp16", "int8", "q4"], 64 * 1024)
    return src, out, feeds, errors, component, sizes, extra, params


@pytest.fixture(scope="module")
def in_parts(converted, tmp_path_factory):
    """The same encoder with parts of at most 40 KB of weights: the embedding and each block apart."""
    src, _, feeds, *_ = converted
    out = str(tmp_path_factory.mktemp("te-parts"))
    errors, component, *_ = convert_text_encoder(src, feeds, out, ["fp32", "q4"], 64 * 1024, part_bytes=40 * 1024)
    return out, feeds, errors, component


def whole(src: str):
    from transformers import UMT5EncoderModel

    te = UMT5EncoderModel.from_pretrained(src, dtype=torch.float32, attn_implementation="eager").eval()
    return WanTextEncoder(te).eval()


def test_the_checkpoint_is_sharded_and_transformers_reads_it(converted):
    src, *_, params = converted
    index = json.load(open(os.path.join(src, "model.safetensors.index.json")))
    assert len(set(index["weight_map"].values())) > 2
    assert sum(p.numel() for p in whole(src).parameters()) == params


@pytest.mark.parametrize("variant,tolerance", [("fp32", 1e-5), ("fp16", 0.03), ("int8", 0.05), ("q4", 0.25)])
def test_joined_graph_matches_the_whole_encoder(converted, variant, tolerance):
    src, out, feeds, errors, component, *_ = converted
    path = os.path.join(out, component["variants"][variant]["files"][0]["path"])
    with torch.no_grad():
        ref = whole(src)(*feeds.values()).numpy()
    got = run(path, {k: v.numpy() for k, v in feeds.items()}, ["hidden"])[0]
    rel = float(np.abs(got - ref).max() / np.abs(ref).max())
    assert rel <= tolerance, rel
    # the converter's own measure (against the stages chained in PyTorch) is the same number
    assert errors[f"textEncoder.{variant}"]["relative"] == pytest.approx(rel, rel=1e-3, abs=1e-7)
    assert errors[f"textEncoder.{variant}.stages"]["relative"] <= tolerance
    # padded positions are zero, as WanPipeline's prompt embeddings
    assert not got[1, 3:].any()
    # and one prompt alone gives its row of the batch
    one = run(path, {k: v[:1].numpy() for k, v in feeds.items()}, ["hidden"])[0]
    assert np.allclose(one, got[:1], atol=1e-5 * np.abs(got).max())


def test_the_table_is_split_into_parts_and_gathered_before_dequantizing(converted):
    _, out, _, _, component, *_ = converted
    fp32 = onnx.load(os.path.join(out, component["variants"]["fp32"]["files"][0]["path"]), load_external_data=False)
    tables = [t for t in fp32.graph.initializer if t.name.endswith("/table")]
    assert len(tables) == 2 and sum(t.dims[0] for t in tables) == CONFIG["vocab_size"]  # 128 KB in 64 KB parts
    q4 = onnx.load(os.path.join(out, component["variants"]["q4"]["files"][0]["path"]), load_external_data=False)
    produced = {o: n for n in q4.graph.node for o in n.output}
    for n in q4.graph.node:
        if n.op_type == "Gather" and n.input[1] == "input_ids":
            source = produced.get(n.input[0])
            assert source is None or source.op_type != "DequantizeLinear", "the whole table would be dequantized"
    assert any(n.op_type == "MatMulNBits" for n in q4.graph.node)


def test_every_shard_is_within_the_limit(converted):
    """A shard holds whole tensors; it passes the limit only when one tensor alone is larger."""
    _, out, _, _, component, *_ = converted
    for variant in component["variants"].values():
        graph = onnx.load(os.path.join(out, variant["files"][0]["path"]), load_external_data=False).graph
        per_shard: dict[str, list[int]] = {}
        for t in graph.initializer:
            info = {e.key: e.value for e in t.external_data}
            if info:
                per_shard.setdefault(info["location"], []).append(int(info["length"]))
        assert set(per_shard) == {f["path"] for f in variant["files"][1:]}
        for f in variant["files"][1:]:
            assert f["bytes"] == sum(per_shard[f["path"]]) and (f["bytes"] <= 64 * 1024 or len(per_shard[f["path"]]) == 1)


def test_a_writer_refuses_a_tensor_whose_bytes_do_not_match(tmp_path):
    t = onnx.TensorProto()
    t.name, t.data_type = "w", onnx.TensorProto.FLOAT
    t.dims.extend([4])
    with ShardWriter(str(tmp_path / "g.onnx")) as w, pytest.raises(ValueError, match="wrote 12 bytes"):
        w.write(t, [b"\0" * 12])


def test_parts_run_in_order_give_the_whole_encoder(converted, in_parts):
    src = converted[0]
    out, feeds, errors, component = in_parts
    with torch.no_grad():
        ref = whole(src)(*feeds.values()).numpy()
    for variant, tolerance in (("fp32", 1e-5), ("q4", 0.25)):
        v = component["variants"][variant]
        assert sum(v["parts"]) == len(v["files"]) and len(v["parts"]) >= 2
        graphs, i = [], 0
        for n in v["parts"]:
            graphs.append(os.path.join(out, v["files"][i]["path"]))
            weights = sum(f["bytes"] for f in v["files"][i + 1:i + n])
            # a part passes the limit only when it holds one stage (embedding, block or final norm) alone
            stages = {node.name.split("/")[0] for node in onnx.load(graphs[-1], load_external_data=False).graph.node
                      if node.name != "output"}
            stages = {"embedding" if s.startswith("embed") or s.isdigit() else s for s in stages}
            assert weights <= 40 * 1024 or len(stages) == 1, (variant, graphs[-1], weights, stages)
            i += n
        assert all(g.endswith(".onnx") for g in graphs)
        got = run_parts(graphs, {k: t.numpy() for k, t in feeds.items()})
        rel = float(np.abs(got - ref).max() / np.abs(ref).max())
        assert rel <= tolerance and errors[f"textEncoder.{variant}"]["relative"] == pytest.approx(rel, rel=1e-3, abs=1e-7)
        # part k hands part k+1 its state by name; only the last part outputs `hidden`
        names = [[o.name for o in onnx.load(g, load_external_data=False).graph.output] for g in graphs]
        assert names == [[f"state{k}"] for k in range(len(graphs) - 1)] + [["hidden"]]


def test_parts_run_in_onnxruntime_web_as_natively(in_parts):
    """web_step (the scale test's tool) on the parts in onnxruntime-web's wasm, each session released
    before the next: the same `hidden` as onnxruntime."""
    from prereq import require_node_modules
    from vidlet_convert.web_step import web_step

    require_node_modules("onnxruntime-web")
    out, _, _, component = in_parts
    v = component["variants"]["q4"]
    starts = np.cumsum([0, *v["parts"][:-1]])
    graphs = [os.path.join(out, v["files"][i]["path"]) for i in starts]
    r = web_step(graphs)
    assert len(r["parts"]) == len(graphs) and r["web_vs_native_relative"] <= 1e-5


def test_t5_stages_match_the_whole_t5_encoder_as_ltx_calls_it(tmp_path):
    """T5 (LTX-Video's text encoder): only block 0 holds the relative position bias, each stage gets a copy;
    LTXPipeline gives the encoder no mask and keeps the padded rows."""
    from transformers import T5Config, T5EncoderModel
    from vidlet_convert.ltx_graphs import LtxTextEncoder
    from vidlet_convert.ltx_fixture import TEXT as T5_TEXT
    from vidlet_convert.text_layers import T5

    torch.manual_seed(4)
    src = str(tmp_path / "t5")
    T5EncoderModel(T5Config(**{**T5_TEXT, "num_layers": 3})).save_pretrained(src)
    feeds = example_inputs(T5_TEXT["vocab_size"], 16, T5_TEXT["d_model"], (1, 2, 2), L, seed=6)["textEncoder"]
    errors, component, *_ = convert_text_encoder(src, feeds, str(tmp_path / "out"), ["fp32"], 64 * 1024, family=T5)
    te = T5EncoderModel.from_pretrained(src, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        ref = LtxTextEncoder(te).eval()(*feeds.values()).numpy()
    got = run(str(tmp_path / "out" / component["variants"]["fp32"]["files"][0]["path"]),
              {k: v.numpy() for k, v in feeds.items()}, ["hidden"])[0]
    assert float(np.abs(got - ref).max() / np.abs(ref).max()) <= 1e-5
    assert np.abs(got[1, 3:]).max() > 0  # the padded rows are the encoder's own, as LTXPipeline's


def test_a_t5_checkpoint_written_block_by_block_is_what_transformers_reads(tmp_path):
    """The full-size T5-v1.1-XXL scale test's fixture (write_text_encoder with t5): position bias in block
    0 only, every key transformers expects and no other, and the stages equal the whole encoder."""
    from transformers import T5EncoderModel
    from vidlet_convert.ltx_graphs import LtxTextEncoder
    from vidlet_convert.ltx_fixture import TEXT as T5_TEXT
    from vidlet_convert.text_layers import BIAS, T5

    src = str(tmp_path / "t5")
    config = {**T5_TEXT, "num_layers": 3, "vocab_size": 500}
    params = write_text_encoder(src, config, seed=7, dtype=torch.float32, shard_bytes=64 * 1024, t5=True)
    index = json.load(open(os.path.join(src, "model.safetensors.index.json")))
    assert [k for k in index["weight_map"] if k.endswith(BIAS)] == [f"encoder.block.0.{BIAS}"]
    te, info = T5EncoderModel.from_pretrained(src, dtype=torch.float32, attn_implementation="eager",
                                              output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert sum(p.numel() for p in te.parameters()) == params
    feeds = example_inputs(config["vocab_size"], 16, config["d_model"], (1, 2, 2), L, seed=8)["textEncoder"]
    errors, component, *_ = convert_text_encoder(src, feeds, str(tmp_path / "out"), ["fp32"], 64 * 1024, family=T5)
    with torch.no_grad():
        ref = LtxTextEncoder(te.eval()).eval()(*feeds.values()).numpy()
    got = run(str(tmp_path / "out" / component["variants"]["fp32"]["files"][0]["path"]),
              {k: v.numpy() for k, v in feeds.items()}, ["hidden"])[0]
    assert float(np.abs(got - ref).max() / np.abs(ref).max()) <= 1e-5
