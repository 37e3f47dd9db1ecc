"""The text encoder converted one stage at a time: the token embedding, each encoder block, the final
norm (issue #11: umT5-XXL is 5.7 B parameters, 22.7 GB in float32, and an export holds ~3x its weights,
so the whole encoder cannot be exported on a 24 GiB machine; LTX's T5-v1.1-XXL is 4.8 B).

Each stage is built from the checkpoint's own tensors, read one at a time from its safetensors shards,
exported and quantized alone, checked against the same stage in PyTorch, and its weights streamed into
the variant's shards at once; the stages' graphs are joined into one graph with the whole encoder's
boundary (`input_ids`, `attention_mask` → `hidden`, as wan_graphs.WanTextEncoder). Peak memory is about
one block's export whatever the depth. The embedding is written by hand rather than exported: its
table (umT5: 256,384 x 4,096) is split by rows into parts no larger than a shard (browsers cap an
ArrayBuffer at ~2 GB), and its int8 form gathers rows before dequantizing them, so an encode never
materialises the float table (a DequantizeLinear in front of the Gather would, 4.2 GB for umT5).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, replace

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

from . import onnx_io
from .package import compare, variant_entry
from .quant import int8_channels, keep_in_fp32, quantize
PART_BYTES = 1 << 30  # a text encoder past this is written in parts (Joined); the engine holds one at a time
ROWS_PER_CHUNK = 8192  # embedding rows converted at a time (umT5: 32 k floats each chunk of 4,096-wide rows)


class Checkpoint:
    """The tensors of a transformers checkpoint folder (`model.safetensors` or an index of shards),
    each read on demand in its stored dtype (the published umT5 is bfloat16; callers take float32)."""

    def __init__(self, folder: str):
        from safetensors import safe_open

        self.folder = folder
        index = os.path.join(folder, "model.safetensors.index.json")
        if os.path.exists(index):
            self.where = json.load(open(index))["weight_map"]
        else:
            with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
                self.where = {k: "model.safetensors" for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)

    def __contains__(self, key: str) -> bool:
        return key in self.where

    def get(self, key: str) -> torch.Tensor:
        from safetensors import safe_open

        if key not in self.where:
            raise KeyError(f"{self.folder} has no tensor {key!r}")
        with safe_open(os.path.join(self.folder, self.where[key]), "pt") as f:
            return f.get_tensor(key)

    def parameters(self) -> int:
        from safetensors import safe_open

        n = 0
        for file in sorted(set(self.where.values())):
            with safe_open(os.path.join(self.folder, file), "pt") as f:
                n += sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())  # noqa: SIM118
        return n


class BlockStage(nn.Module):
    """One encoder block at the graph boundary (hidden, attention_mask) → hidden. `masked`: with the
    additive mask built as the encoder stack builds it (transformers' create_bidirectional_mask), as
    WanPipeline calls umT5; LTXPipeline calls T5 without a mask, so every token attends to the padding."""

    def __init__(self, config, block: nn.Module, masked: bool):
        super().__init__()
        self.config, self.block, self.masked = config, block, masked

    def forward(self, hidden, attention_mask):
        from transformers.masking_utils import create_bidirectional_mask

        mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden, attention_mask=attention_mask) \
            if self.masked else None
        out = self.block(hidden, mask)
        return out[0] if isinstance(out, tuple) else out


class FinalStage(nn.Module):
    """The final norm; `zeroes_padding`: padded positions set to 0 (WanPipeline's prompt embeddings)."""

    def __init__(self, norm: nn.Module, zeroes_padding: bool):
        super().__init__()
        self.norm, self.zeroes_padding = norm, zeroes_padding

    def forward(self, hidden, attention_mask):
        h = self.norm(hidden)
        return h * attention_mask.unsqueeze(-1).to(h.dtype) if self.zeroes_padding else h


@dataclass(frozen=True)
class Family:
    """A T5-style encoder's classes and how its pipeline calls it."""
    config: str  # transformers classes, imported when used
    block: str
    norm: str
    # umT5: every block has its own relative position bias. T5: only block 0 has one and the stack hands
    # it to the others, so each stage here gets block 0's (a 32 x heads table) to compute the same bias.
    shared_bias: bool
    masked: bool  # the pipeline passes attention_mask to the encoder (Wan; LTXConditionPipeline) or not (LTXPipeline)
    zeroes_padding: bool  # the pipeline sets padded rows of the embeddings to 0 (Wan) or keeps them (LTX)
    model: str  # the encoder model class: its `_keep_in_fp32_modules` (`wo`) stay float32 in the fp16 variant
    # The fp16 variant keeps these module paths (fnmatch, within a BlockStage) in float32 too: transformers
    # runs T5 in half precision with `wo` in float32, and `hidden + wo(...)` then promotes the residual
    # stream to float32 from the first feed-forward on (T5's activations pass 65504), while T5LayerNorm
    # computes in float32 whatever its input. Keeping `wo` alone in an ONNX graph would cast its output
    # back to half before that sum, so the residual sums (the nodes of `block.layer.N` itself) and the
    # layer norms are kept as well; between stages the stream is float32 anyway (each stage's boundary).
    fp32_scopes: tuple[str, ...] = ("block.layer.[0-9]", "*.layer_norm")


UMT5 = Family("transformers.UMT5Config", "transformers.models.umt5.modeling_umt5.UMT5Block",
              "transformers.models.umt5.modeling_umt5.UMT5LayerNorm", shared_bias=False, masked=True,
              zeroes_padding=True, model="transformers.UMT5EncoderModel")
T5 = Family("transformers.T5Config", "transformers.models.t5.modeling_t5.T5Block",
            "transformers.models.t5.modeling_t5.T5LayerNorm", shared_bias=True, masked=False,
            zeroes_padding=False, model="transformers.T5EncoderModel")
# LTXConditionPipeline (LTX-Video 0.9.7+) passes the mask to T5, where LTXPipeline did not
T5_MASKED = replace(T5, masked=True)
BIAS = "layer.0.SelfAttention.relative_attention_bias.weight"


def load_class(path: str):
    import importlib

    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def encoder_block(family: Family, config, ckpt: Checkpoint, k: int) -> nn.Module:
    """Block k with the checkpoint's weights, built on the meta device and given them (no random init)."""
    with torch.device("meta"):
        block = load_class(family.block)(config, layer_idx=k, **({"has_relative_attention_bias": True}
                                                                  if family.shared_bias else {}))
    state = {name: ckpt.get(f"encoder.block.{0 if family.shared_bias and name == BIAS else k}.{name}").float()
             for name in block.state_dict()}
    block.load_state_dict(state, assign=True)
    return block.eval()


def final_norm(family: Family, config, ckpt: Checkpoint) -> nn.Module:
    norm = load_class(family.norm)(config.d_model, eps=config.layer_norm_epsilon)
    norm.load_state_dict({"weight": ckpt.get("encoder.final_layer_norm.weight").float()})
    return norm.eval()


def embedding_key(ckpt: Checkpoint) -> str:
    for key in ("encoder.embed_tokens.weight", "shared.weight"):
        if key in ckpt:
            return key
    raise KeyError(f"{ckpt.folder}: no token embedding (encoder.embed_tokens.weight or shared.weight)")


def copy_of(message):
    fresh = type(message)()
    fresh.CopyFrom(message)
    return fresh


def external_tensor(name: str, data_type: int, dims: list[int]) -> onnx.TensorProto:
    """An initializer whose data the ShardWriter will write."""
    t = onnx.TensorProto()
    t.name, t.data_type = name, data_type
    t.dims.extend(dims)
    return t


class Part:
    """One graph of a variant: stages' nodes with their names prefixed, each stage's `hidden` input
    wired to the previous stage's output, weights streamed into the graph's shards."""

    def __init__(self, path: str, shard_bytes: int):
        self.path = path
        self.shards = onnx_io.ShardWriter(path, shard_bytes)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        # the exporter's, once a stage is added; for the embedding alone, the oldest that has its opset
        # (this onnx writes a newer IR than the pinned onnxruntime reads)
        self.ir_version = helper.find_min_ir_version_for([helper.make_opsetid("", onnx_io.OPSET)])

    def add_tensor(self, name: str, array: np.ndarray) -> None:
        t = onnx.numpy_helper.from_array(array, name)
        self.shards.move_out(t)
        self.initializers.append(t)

    def add_stage(self, model: onnx.ModelProto, prefix: str, wiring: dict[str, str]) -> str:
        """Append `model`'s graph; `wiring` maps its input names to names in the joined graph. Returns the
        joined name of its (single) output. `model`'s weights are moved out to the shards."""
        g = model.graph
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for n in g.node for a in n.attribute):
            raise ValueError(f"{prefix}: a stage with subgraphs (If/Loop) cannot be joined by renaming")
        name = {i.name: wiring[i.name] for i in g.input}

        def rename(v: str) -> str:
            return v if v == "" else name.setdefault(v, f"{prefix}/{v}")

        # Kept as copies: a protobuf sub-message keeps its whole message's memory alive (one arena),
        # so holding the stage's own nodes would hold every stage's weights to the end (measured: out of
        # memory after 7 of umT5-XXL's 24 blocks).
        for t in g.initializer:
            t.name = rename(t.name)
            self.shards.move_out(t)
            self.initializers.append(copy_of(t))
        for i, n in enumerate(g.node):
            n.input[:] = [rename(v) for v in n.input]
            n.output[:] = [rename(v) for v in n.output]
            n.name = f"{prefix}/{n.name or i}"
            self.nodes.append(copy_of(n))
        self.ir_version = model.ir_version
        (out,) = g.output
        return rename(out.name)

    def add_embedding(self, table: torch.Tensor, ids: str, form: str, shard_bytes: int) -> str:
        """Rows of `table` [V, D] gathered by `ids` → [..., D] float32; `form`: the table stored in float32,
        float16 (rows cast after the gather) or int8 with one scale per row (dequantized after the gather). Split into parts of at most `shard_bytes` each; a part's rows
        are gathered where the id falls in it and summed (the other parts contribute 0)."""
        v, d = table.shape
        rows = max(1, min(v, shard_bytes // (d * {"fp32": 4, "fp16": 2, "int8": 1}[form])))
        parts = []
        for i, start in enumerate(range(0, v, rows)):
            stop = min(v, start + rows)
            idx = ids
            if stop - start < v:  # an id outside this part reads row 0, masked out below
                idx, inside = self._part_index(ids, start, stop, i)
            parts.append(self._gather_rows(table[start:stop], idx, form, f"embed{i}"))
            if stop - start < v:
                self.nodes.append(helper.make_node("Unsqueeze", [inside, "embed/last_axis"], [f"embed{i}/inside3"]))
                self.nodes.append(helper.make_node("Where", [f"embed{i}/inside3", parts[-1], "embed/zero"],
                                                   [f"embed{i}/masked"]))
                parts[-1] = f"embed{i}/masked"
        if len(parts) > 1:
            self.add_tensor("embed/last_axis", np.array([-1], np.int64))
            self.add_tensor("embed/zero", np.zeros((), np.float32))
            self.nodes.append(helper.make_node("Sum", parts, ["embed/hidden"]))
            return "embed/hidden"
        return parts[0]

    def _part_index(self, ids: str, start: int, stop: int, i: int) -> tuple[str, str]:
        p = f"embed{i}"
        self.add_tensor(f"{p}/start", np.array(start, np.int64))
        self.add_tensor(f"{p}/stop", np.array(stop, np.int64))
        self.add_tensor(f"{p}/row0", np.array(0, np.int64))
        self.nodes += [
            helper.make_node("GreaterOrEqual", [ids, f"{p}/start"], [f"{p}/above"]),
            helper.make_node("Less", [ids, f"{p}/stop"], [f"{p}/below"]),
            helper.make_node("And", [f"{p}/above", f"{p}/below"], [f"{p}/inside"]),
            helper.make_node("Sub", [ids, f"{p}/start"], [f"{p}/local"]),
            helper.make_node("Where", [f"{p}/inside", f"{p}/local", f"{p}/row0"], [f"{p}/index"]),
        ]
        return f"{p}/index", f"{p}/inside"

    def _gather_rows(self, table: torch.Tensor, idx: str, form: str, p: str) -> str:
        v, d = table.shape
        if form == "fp16":  # rows gathered in half, then float32 for block 0 (every stage takes float32)
            tensor = external_tensor(f"{p}/table", TensorProto.FLOAT16, [v, d])
            self.shards.write(tensor, (table[s:s + ROWS_PER_CHUNK].half().numpy().tobytes()
                                       for s in range(0, v, ROWS_PER_CHUNK)))
            self.initializers.append(tensor)
            self.nodes += [helper.make_node("Gather", [f"{p}/table", idx], [f"{p}/half_rows"]),
                           helper.make_node("Cast", [f"{p}/half_rows"], [f"{p}/rows"], to=TensorProto.FLOAT)]
            return f"{p}/rows"
        if form == "fp32":
            tensor = external_tensor(f"{p}/table", TensorProto.FLOAT, [v, d])
            self.shards.write(tensor, (table[s:s + ROWS_PER_CHUNK].float().numpy().tobytes()
                                       for s in range(0, v, ROWS_PER_CHUNK)))
            self.initializers.append(tensor)
            self.nodes.append(helper.make_node("Gather", [f"{p}/table", idx], [f"{p}/rows"]))
            return f"{p}/rows"
        scales: list[np.ndarray] = []

        def int8_rows():
            for s in range(0, v, ROWS_PER_CHUNK):
                q, scale = int8_channels(table[s:s + ROWS_PER_CHUNK].float().numpy())
                scales.append(scale)
                yield q.tobytes()

        q = external_tensor(f"{p}/table_q", TensorProto.INT8, [v, d])
        self.shards.write(q, int8_rows())
        self.initializers.append(q)
        self.add_tensor(f"{p}/scale", np.concatenate(scales))
        self.add_tensor(f"{p}/last_axis", np.array([-1], np.int64))
        self.nodes += [
            helper.make_node("Gather", [f"{p}/table_q", idx], [f"{p}/q_rows"]),
            helper.make_node("Cast", [f"{p}/q_rows"], [f"{p}/q_float"], to=TensorProto.FLOAT),
            helper.make_node("Gather", [f"{p}/scale", idx], [f"{p}/row_scale"]),
            helper.make_node("Unsqueeze", [f"{p}/row_scale", f"{p}/last_axis"], [f"{p}/row_scale3"]),
            helper.make_node("Mul", [f"{p}/q_float", f"{p}/row_scale3"], [f"{p}/rows"]),
        ]
        return f"{p}/rows"

    def save(self, inputs: list[onnx.ValueInfoProto], value: str, output: onnx.ValueInfoProto,
             opsets: dict[str, int]) -> list[str]:
        """Write the graph with `value` as its output; returns its files (graph first), as
        onnx_io.save_sharded does."""
        self.shards.close()
        graph = helper.make_graph(self.nodes, "text_encoder", inputs, [output], self.initializers)
        graph.node.append(helper.make_node("Identity", [value], [output.name], name="output"))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
        model.ir_version = self.ir_version
        with open(self.path, "wb") as f:
            f.write(model.SerializeToString())
        return [os.path.basename(self.path), *self.shards.names]


class Joined:
    """One variant's text encoder: the stages in order, in one graph, or in several parts when its
    weights pass `part_bytes` (docs/model-package.md, "Parts": the engine runs them one after another,
    each session released before the next is made, so no more than one part is ever in memory; a
    WebAssembly heap is 4 GiB, and q4 umT5-XXL alone is ~3.9 GB). Part k's output `state{k}` is part
    k+1's input; every part takes `attention_mask`; the last part's output is `hidden`."""

    def __init__(self, path: str, shard_bytes: int, part_bytes: int, max_length: int, hidden: int):
        self.path, self.shard_bytes, self.part_bytes = path, shard_bytes, part_bytes
        self.max_length, self.hidden = max_length, hidden
        self.parts = [Part(path, shard_bytes)]
        self.closed: list[list[str]] = []  # files of each finished part
        self.opsets: dict[str, int] = {"": onnx_io.OPSET}  # the embedding's Gather when it is a part alone

    @property
    def current(self) -> Part:
        return self.parts[-1]

    def add_embedding(self, table: torch.Tensor, form: str) -> str:
        return self.current.add_embedding(table, "input_ids", form, self.shard_bytes)

    def add_stage(self, model: onnx.ModelProto, prefix: str, hidden: str) -> str:
        size = sum(len(t.raw_data) for t in model.graph.initializer)
        if self.current.shards.written > 0 and self.current.shards.written + size > self.part_bytes:
            hidden = self._close(hidden)
        for o in model.opset_import:
            self.opsets[o.domain] = max(self.opsets.get(o.domain, 0), o.version)
        return self.current.add_stage(model, prefix, {"hidden": hidden, "attention_mask": "attention_mask"})

    def _inputs(self) -> list[onnx.ValueInfoProto]:
        k = len(self.parts) - 1
        first = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", self.max_length]) if k == 0 \
            else self._state(k - 1)
        return [first, helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", self.max_length])]

    def _state(self, k: int) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(f"state{k}", TensorProto.FLOAT, ["batch", self.max_length, self.hidden])

    def _close(self, value: str) -> str:
        """Finish the current part with `value` as its output; the next part reads it under that name."""
        k = len(self.parts) - 1
        self.closed.append(self.current.save(self._inputs(), value, self._state(k), self.opsets))
        stem, ext = os.path.splitext(self.path)
        self.parts.append(Part(f"{stem}.part{k + 1}{ext}", self.shard_bytes))
        return f"state{k}"

    def save(self, value: str) -> list[list[str]]:
        """Write the last part with `value` as the encoder's `hidden`; returns every part's files."""
        out = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", self.max_length, self.hidden])
        return [*self.closed, self.current.save(self._inputs(), value, out, self.opsets)]


def run_parts(paths: list[str], feeds: dict[str, np.ndarray]) -> np.ndarray:
    """The text encoder's `hidden` from its parts run in order in onnxruntime, as the engine runs them."""
    values = dict(feeds)
    for path in paths:
        sess = onnx_io.session(path)
        names = [o.name for o in sess.get_outputs()]
        values.update(zip(names, sess.run(names, {i.name: values[i.name] for i in sess.get_inputs()})))
        del sess
    return values["hidden"]


def run_model(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> np.ndarray:
    return onnx_io.session(model.SerializeToString()).run(None, feeds)[0]


def memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def convert_text_encoder(folder: str, feeds: dict[str, torch.Tensor], out_dir: str, variants: list[str],
                         shard_bytes: int, part_bytes: int = PART_BYTES, family: Family = UMT5,
                         stem: str = "text_encoder") -> tuple[dict, dict, dict, dict]:
    """Convert the `family` encoder in `folder` (a checkpoint's text_encoder/) into one graph per variant.
    `feeds`: the check inputs (input_ids, attention_mask [2, L]). Returns (errors, the manifest
    component with `seconds`, bytes per variant, parameter count). Errors: each stage against PyTorch
    (`textEncoder.<variant>.stages`, the worst stage) and the whole graph against the stages chained in
    PyTorch (`textEncoder.<variant>`, and `textEncoder.fp32.batch1`) where the variant's files fit in
    half of this machine's memory (onnxruntime holds them all). The last entry is for the report:
    the parameter count, and the variants not checked whole, with why."""
    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    config = load_class(family.config).from_pretrained(folder, attn_implementation="eager")
    ckpt = Checkpoint(folder)
    ids, mask = feeds["input_ids"], feeds["attention_mask"]
    L = ids.shape[1]
    paths = {v: os.path.join(out_dir, f"{stem}.onnx" if v == "fp32" else f"{stem}.{v}.onnx") for v in variants}
    joined = {v: Joined(p, shard_bytes, part_bytes, L, config.d_model) for v, p in paths.items()}
    errors: dict[str, dict] = {}

    def stage_error(variant: str, e: dict) -> None:
        key = f"textEncoder.{variant}.stages"
        if key not in errors or e["relative"] > errors[key]["relative"]:
            errors[key] = {**e, "stage": stage}

    table = ckpt.get(embedding_key(ckpt))
    # the table in float32, float16 (fp16) or int8 rows (int8, q4: MatMulNBits takes no Gather)
    hidden = {v: joined[v].add_embedding(table, v if v in ("fp32", "fp16") else "int8") for v in variants}
    keep = keep_in_fp32(load_class(family.model))
    with torch.no_grad():
        ref = table[ids].float()  # the embedding is exact in float32; its int8 error shows in the whole graph
    del table
    stage = "embedding"
    stages = [(f"block{k}", lambda k=k: BlockStage(config, encoder_block(family, config, ckpt, k), family.masked))
              for k in range(config.num_layers)] + [("final", lambda: FinalStage(final_norm(family, config, ckpt),
                                                                                family.zeroes_padding))]
    for stage, build in stages:
        module = build()
        args = (ref, mask)
        with torch.no_grad():
            out = module(*args)
        exported = onnx_io.export(module, args, ["hidden", "attention_mask"], ["out"], ["hidden", "attention_mask"])
        onnx_io.to_raw_data(exported)
        np_feeds = {"hidden": ref.numpy(), "attention_mask": mask.numpy()}
        for v in variants:
            m = onnx.ModelProto()
            m.CopyFrom(exported)
            if v != "fp32" and stage != "final":  # the final norm has no weight worth quantizing
                quantize(v, m, keep, family.fp32_scopes)
            stage_error(v, compare(run_model(m, np_feeds), out.numpy(), v))
            hidden[v] = joined[v].add_stage(m, stage, hidden[v])
            del m
        del exported, module
        ref = out
    component = {"inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
                 "outputs": {"hidden": "hidden"}, "variants": {}}
    sizes, not_checked = {}, {}
    whole = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    for v in variants:
        parts = joined[v].save(hidden[v])
        files = [f for part in parts for f in part]
        component["variants"][v] = variant_entry(out_dir, files, v)
        if len(parts) > 1:
            component["variants"][v]["parts"] = [len(part) for part in parts]
        sizes[v] = sum(f["bytes"] for f in component["variants"][v]["files"])
        largest = max(sum(os.path.getsize(os.path.join(out_dir, f)) for f in part) for part in parts)
        if largest > memory_bytes() // 2:
            not_checked[v] = f"a part of {largest / 1e9:.1f} GB; checked stage by stage only"
            continue
        graphs = [os.path.join(out_dir, part[0]) for part in parts]
        errors[f"textEncoder.{v}"] = compare(run_parts(graphs, whole), ref.numpy(), v)
        if v == "fp32":
            one = {k: a[:1] for k, a in whole.items()}
            errors["textEncoder.fp32.batch1"] = compare(run_parts(graphs, one), ref[:1].numpy(), v)
    component["seconds"] = round(time.time() - t0, 1)
    return errors, component, sizes, {"params": ckpt.parameters(), "notCheckedWhole": not_checked}


def add_text_encoder(args, feeds: dict, family: Family, errors: dict, components: dict, sizes: dict,
                     params: dict) -> dict:
    """A family converter's text encoder: converted from `args.src`/text_encoder into `args.out` and
    added to the other components' errors, manifest entries (in the manifest's usual order), sizes and
    parameter counts. Returns the report's note of variants not checked whole (empty when all were)."""
    from .components import GRAPHS

    te_errors, component, te_sizes, extra = convert_text_encoder(
        os.path.join(args.src, "text_encoder"), feeds, args.out, args.variants, args.shard_bytes, args.part_bytes, family)
    errors.update(te_errors)
    sizes.update({("textEncoder", v): b for v, b in te_sizes.items()})
    params["textEncoder"] = extra["params"]
    ordered = {r: ({**components, "textEncoder": component})[r] for r in GRAPHS
               if r in components or r == "textEncoder"}
    components.clear()
    components.update(ordered)
    return {"textEncoderNotCheckedWhole": extra["notCheckedWhole"]} if extra["notCheckedWhole"] else {}
