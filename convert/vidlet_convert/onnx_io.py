"""Export a module to ONNX with the dynamo exporter, write its weights as external-data shards, and
measure it against PyTorch in onnxruntime.

Why dynamo: the legacy TorchScript exporter fails on the diffusers Wan modules (rms_norm,
_upsample_nearest_exact*; issue #11). Why shards: browsers cap an ArrayBuffer and a protobuf at
~2 GB, so a graph keeps no weights inline and no shard exceeds `shard_bytes` (docs/model-package.md:
the variant's files after the graph are its external data, named relative to the graph's folder).
"""
from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np
import onnx
import torch
from onnx import external_data_helper

OPSET = 18
SHARD_BYTES = 1 << 30  # 1 GiB: well under the ~2 GB browser cap, few files for a 5.7 GB fp32 DiT
INLINE_BYTES = 1024  # tensors this small stay in the graph (shape constants, norms' eps, ...)


def batch_dim():
    """The batch axis of every graph the engine batches (cond, uncond and motion passes: at most 8 rows)."""
    return torch.export.Dim("batch", min=1, max=8)


def export(module: torch.nn.Module, args: tuple, input_names: list[str], output_names: list[str],
           dynamic_batch: list[str], dynamic_shapes=None) -> onnx.ModelProto:
    """The module's graph with its weights loaded in memory. `dynamic_batch` names the inputs whose
    axis 0 is the batch (the engine batches the cond and uncond passes); `dynamic_shapes`, when given,
    is passed to torch.onnx.export as it is instead (the VAE's dynamic height and width, --vae-tiling)."""
    batch = batch_dim()
    names = list(input_names)
    # None when nothing is dynamic: a module taking *args (the VAE frame step's cache) has a nested
    # input structure a flat tuple would not match
    if dynamic_shapes is None:
        dynamic_shapes = tuple({0: batch} if n in dynamic_batch else None for n in names) if dynamic_batch else None
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:  # noqa: SIM117
        warnings.simplefilter("ignore")
        # torch.export first, then ONNX from the program: torch.onnx.export's own capture defers shape
        # guards to runtime asserts, and then cannot prove LTX's `temb.view(batch, -1, D)` has one row per
        # sample once the batch is dynamic; plain torch.export proves it (same graph otherwise)
        with torch.no_grad():
            captured = torch.export.export(module, args, dynamic_shapes=dynamic_shapes, strict=False)
        program = torch.onnx.export(captured, args, input_names=input_names, output_names=output_names,
                                    opset_version=OPSET, dynamo=True, optimize=True, verbose=False)
        # through a file so onnx.load gives an ordinary ModelProto with every weight in memory
        path = os.path.join(tmp, "m.onnx")
        program.save(path, external_data=True)
        model = onnx.load(path, load_external_data=True)
    # The exporter records each node's Python stack trace and module path as metadata: ~400 KB per
    # Wan block (most of the tiny fixture's graph file), useless to the engine. The module path alone
    # is kept, as the node name's prefix (`tr.blocks.0.norm1/node_layer_norm`, as the TorchScript
    # exporter named nodes): the fp16 variant keeps the nodes of a model's `_keep_in_fp32_modules`
    # in float32 by it (quant.to_fp16), also after the graph is written and read back.
    for node in model.graph.node:
        path = module_path(node)
        if path:
            node.name = f"{path}/{node.name}"
        del node.metadata_props[:]
        node.doc_string = ""
    return model


def module_path(node: onnx.NodeProto) -> str:
    """The dotted path of the innermost torch module a node was exported from ('' for the top module),
    from the dynamo exporter's `pkg.torch.onnx.name_scopes` metadata: ['', 'tr', 'tr.blocks.0', ...,
    the aten op's own name]."""
    import ast

    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes":
            scopes = ast.literal_eval(p.value)
            return scopes[-2] if len(scopes) >= 2 else ""
    return ""


def save_sharded(model: onnx.ModelProto, path: str, shard_bytes: int = SHARD_BYTES) -> list[str]:
    """Write `path` (the graph) and `path.data`, `path.1.data`, ... (the weights, each at most
    `shard_bytes` unless one tensor alone is larger). Returns the file names written, graph first,
    relative to the graph's folder. Modifies `model` (its weights become external references)."""
    with ShardWriter(path, shard_bytes) as shards:
        for t in _tensors(model):
            shards.move_out(t)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return [os.path.basename(path), *shards.names]


class ShardWriter:
    """The external-data files of the graph at `path`, filled tensor by tensor, so a graph can be
    written without ever holding all its weights (text_layers.py streams a 5.7 B encoder through it).
    A tensor is whole in one file; a new file starts when the next tensor would pass `shard_bytes`."""

    def __init__(self, path: str, shard_bytes: int = SHARD_BYTES):
        self.folder, self.base = os.path.dirname(path) or ".", os.path.basename(path)
        self.shard_bytes = shard_bytes
        self.names: list[str] = []
        self.written = 0  # bytes in every file so far
        self._handle, self._used = None, 0

    def move_out(self, t: onnx.TensorProto) -> None:
        """Write `t`'s raw data (unless it is small enough to stay in the graph) and make `t` refer to it."""
        if not t.HasField("raw_data") or len(t.raw_data) < INLINE_BYTES:
            return
        self.write(t, [t.raw_data])
        t.ClearField("raw_data")

    def write(self, t: onnx.TensorProto, chunks) -> None:
        """Write `t`'s data given as byte chunks (in order; a table can be produced a slice at a time)
        and make `t` an external reference to it. `t`'s dims and type must already be set."""
        size = int(np.prod(t.dims)) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        if self._handle is None or self._used + size > self.shard_bytes and self._used > 0:
            self._next()
        start = self._used
        for chunk in chunks:
            self._handle.write(chunk)
            self._used += len(chunk)
            self.written += len(chunk)
        if self._used - start != size:
            raise ValueError(f"{t.name}: wrote {self._used - start} bytes for a tensor of {size}")
        del t.external_data[:]
        for key, value in (("location", self.names[-1]), ("offset", str(start)), ("length", str(size))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        t.data_location = onnx.TensorProto.EXTERNAL

    def _next(self) -> None:
        if self._handle:
            self._handle.close()
        self.names.append(f"{self.base}.data" if not self.names else f"{self.base}.{len(self.names)}.data")
        self._handle, self._used = open(os.path.join(self.folder, self.names[-1]), "wb"), 0

    def __enter__(self):
        return self

    def close(self) -> None:
        if self._handle:
            self._handle.close()
            self._handle = None

    def __exit__(self, *exc):
        self.close()


def _tensors(model: onnx.ModelProto):
    """Every initializer, in subgraphs too. Constant nodes' tensors stay inline, as onnx's own
    convert_model_to_external_data leaves them by default (not every runtime reads them external)."""
    yield from external_data_helper._get_initializer_tensors(model)


def to_raw_data(model: onnx.ModelProto) -> None:
    """Store every tensor's values in raw_data (the sharder and the quantizer read only raw_data)."""
    for t in _tensors(model):
        if t.data_location != onnx.TensorProto.EXTERNAL and not t.HasField("raw_data"):
            arr = onnx.numpy_helper.to_array(t)
            t.CopyFrom(onnx.numpy_helper.from_array(arr, t.name))


def session(graph):
    """An onnxruntime CPU session on 2 threads, from a path or a graph's bytes."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])


def run(path: str, feeds: dict[str, np.ndarray], output_names: list[str]) -> list[np.ndarray]:
    return session(path).run(output_names, feeds)


def max_error(path: str, module: torch.nn.Module, feeds: dict[str, torch.Tensor], output_names: list[str]) -> float:
    """Largest |onnxruntime − PyTorch| over the outputs, on the given inputs."""
    got = run(path, {k: v.numpy() for k, v in feeds.items()}, output_names)
    with torch.no_grad():
        ref = module(*feeds.values())
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    return float(max(np.abs(g - r.numpy()).max() for g, r in zip(got, ref)))
