"""Weight-only quantization: the arithmetic stays float32, only the stored weights shrink.

int8: every MatMul with a constant 2D weight becomes onnxruntime's MatMulNBits with 8 bits (symmetric,
one scale per 32 weights along K); the other large float weights (Gemm, Conv, Gather) become int8
with one scale per output channel and a DequantizeLinear in front. q4: the same with 4 bits.

Why weight-only: training/vidlet_train/quant.py measured dynamic activation quantization
(MatMulInteger) 22–48% off on its text encoder and DiT, and onnxruntime has no 3D ConvInteger.
Why MatMulNBits for 8 bits too, and not a DequantizeLinear per output channel (the first int8 here):
(1) error: on a T5-XXL block a scale per 32 weights is 0.008 of the peak against 0.014 per channel,
and a 24-block encoder adds its blocks' errors up (per channel, random T5-XXL came to 0.056, over the
int8 tolerance); (2) memory: onnxruntime's CPU provider (wasm included) constant-folds a
DequantizeLinear of an initializer into a float32 weight when it makes the session, so the weight
takes 4 bytes a value at run time; MatMulNBits keeps 8 bits and dequantizes inside the kernel.
Both run on onnxruntime-web's wasm and WebGPU providers (checked in Chromium: convert/README.md).
The price: one float32 scale per 32 weights, 12.5% more bytes than int8 per channel.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

MIN_ELEMENTS = 1024  # smaller weights (biases, norms, 3-channel convs) stay float: too small to matter


def _axis(node: onnx.NodeProto, shape: tuple[int, ...]) -> int | None:
    """The weight's output-channel axis for this consumer (one scale per output channel)."""
    if node.op_type == "MatMul" and len(shape) == 2:
        return 1  # B is [K, N]
    if node.op_type == "Gemm" and len(shape) == 2:
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    if node.op_type == "Conv":
        return 0  # [out, in, k...]
    if node.op_type == "Gather" and len(shape) == 2:
        return 0  # an embedding table: one scale per row (token)
    return None


def int8_channels(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with one scale per slice along axis 0 (its largest |value| maps to 127)."""
    scale = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(1), 1e-12) / 127.0
    q = np.clip(np.round(w / scale.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_int8(model: onnx.ModelProto) -> int:
    """Quantize `model` in place; returns the number of weights quantized."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    weight_input = {"MatMul": 1, "Gemm": 1, "Conv": 1, "Gather": 0}
    plans: dict[str, int] = {}  # initializer name → axis, when every consumer agrees
    refused: set[str] = set()
    for node in g.node:
        k = weight_input.get(node.op_type)
        for i, name in enumerate(node.input):
            if name not in inits:
                continue
            t = inits[name]
            shape = tuple(t.dims)
            axis = _axis(node, shape) if i == k else None
            if axis is None or t.data_type != onnx.TensorProto.FLOAT or int(np.prod(shape)) < MIN_ELEMENTS:
                refused.add(name)  # also used some other way: leave it float
            elif plans.setdefault(name, axis) != axis:
                refused.add(name)
    new_nodes = []
    for name, axis in plans.items():
        if name in refused:
            continue
        w = numpy_helper.to_array(inits[name])
        q, scale = int8_channels(np.moveaxis(w, axis, 0))
        q = np.moveaxis(q, 0, axis)
        g.initializer.remove(inits[name])
        g.initializer.extend([numpy_helper.from_array(q, name + "_q"),
                              numpy_helper.from_array(scale, name + "_scale"),
                              numpy_helper.from_array(np.zeros(w.shape[axis], np.int8), name + "_zp")])
        # the DequantizeLinear writes the original name, so every consumer reads it unchanged
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"], [name],
                                          axis=axis, name=name + "_dequantize"))
    # first in the node list, so the graph stays topologically sorted
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return len(new_nodes)


def quantize_nbits(model: onnx.ModelProto, bits: int, block_size: int = 32) -> tuple[int, int]:
    """Every MatMul with a constant 2D weight becomes onnxruntime's MatMulNBits of `bits` (symmetric,
    one scale per `block_size` weights along K: ~5 bits a weight for 4 bits, ~9 for 8, with the fp32
    scales); the weights MatMulNBits does not take (Gemm: Wan's timestep projection, 14 M parameters at
    the published width; Conv; Gather) get int8 per output channel as above. Returns (the MatMuls made
    MatMulNBits, the other weights made int8). Modifies `model`'s graph in place (the quantizer builds a new one; it is copied back)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    before = sum(n.op_type == "MatMul" for n in model.graph.node)
    config = DefaultWeightOnlyQuantConfig(block_size=block_size, is_symmetric=True, bits=bits)
    q = MatMulNBitsQuantizer(model, algo_config=config)
    q.process()
    out = q.model.model
    if out is not model:
        model.CopyFrom(out)
    matmuls = before - sum(n.op_type == "MatMul" for n in model.graph.node)
    return matmuls, quantize_int8(model)


def quantize_matmul8(model: onnx.ModelProto) -> int:
    """The int8 variant; returns the number of weights quantized."""
    return sum(quantize_nbits(model, 8))


def quantize_q4(model: onnx.ModelProto) -> int:
    """The q4 variant; returns the MatMuls quantized: a graph without any (a VAE of convolutions) would
    be its int8 variant under another name, and the converter skips it."""
    return quantize_nbits(model, 4)[0]


# --- fp16 -------------------------------------------------------------------------------------------
# Op types computed in float32 inside an fp16 graph, beyond onnxruntime's own default list (ops it has no
# float16 kernel for: Range, CumSum, Min, Max, TopK, ...). A sum of squares overflows half precision
# (65504) once |x| passes 256: the RMS norms as exported (T5LayerNorm, Wan's attention norm_q/norm_k: Pow
# → ReduceMean → Add ε → Sqrt → Reciprocal) and the Wan VAE's F.normalize (ReduceL2). These are what
# torch runs in float32 too (T5LayerNorm upcasts, diffusers' FP32LayerNorm; an exported fp32 graph loses
# the `.float()`). onnxruntime-web's WebGPU kernels (lib/wasm/jsep/webgpu/ops in onnxruntime-web 1.31)
# already accumulate LayerNormalization, InstanceNormalization and the Reduce ops in f32, but the
# values between these ops are stored in the graph's type, so the whole chain is kept in float32 here
# (an Add/Max/Clip/Expand fed only by kept values, the ε, is kept with it: CHAIN_OPS). Not kept: Softmax
# (after its max is subtracted every exp is ≤ 1 and a row sums to at most its length; the JSEP kernel
# sums in f16) and MatMul/Conv (f16 accumulation on WebGPU: not measurable here, see convert/README.md).
FP16_OP_BLOCK = ("Pow", "ReduceMean", "ReduceSum", "ReduceL2", "ReduceSumSquare", "Sqrt")
# ops that carry a kept value on in float32 when every non-constant input is a kept value: the ε sum
# and clamp, and the Expand of a norm to its Div (with Expand kept, the tiny fixture's VAE decoder, whose
# 3-channel F.normalize norms come near 0, measured 0.011 relative instead of 0.48)
CHAIN_OPS = ("Add", "Max", "Clip", "Expand")
# what computes a Sin/Cos argument (fp32_nodes keeps it in float32 back to the graph's inputs)
PHASE_OPS = ("Mul", "Div", "Add", "Sub", "Cast", "Unsqueeze", "Squeeze", "Reshape", "Expand", "Concat", "Slice",
             "Transpose", "Gather", "Flatten", "Neg", "Exp", "Pow", "Sqrt", "Reciprocal", "MatMul", "Identity")


def keep_in_fp32(*modules) -> tuple[str, ...]:
    """The `_keep_in_fp32_modules` of every transformers/diffusers model class among `modules` and their
    submodules (a class or an instance): module names that library keeps in float32 when it runs the
    model in half precision (T5/umT5: `wo`; WanTransformer3DModel: rope, time_embedder, scale_shift_table,
    norm1-3; LTX and the VAEs: none)."""
    import torch

    names: list[str] = []
    for m in modules:
        for sub in (m.modules() if isinstance(m, torch.nn.Module) else [m]):
            names += [n for n in (getattr(sub, "_keep_in_fp32_modules", None) or []) if n not in names]
    return tuple(names)


def _kept_path(path: str, names, scopes) -> bool:
    """transformers' and diffusers' rule for a parameter name (`any(n in name.split("."))`), applied to a
    node's module path or an initializer's name; `scopes`: fnmatch patterns on the whole path."""
    from fnmatch import fnmatchcase

    return any(n in path.split(".") for n in names) or any(fnmatchcase(path, s) for s in scopes)


def fp32_nodes(model: onnx.ModelProto, modules=(), scopes=()) -> list[str]:
    """Names of the nodes to compute in float32: those exported from a kept module (the module path
    onnx_io.export put before the node name's last '/'), those reading a kept parameter (an initializer
    named after it, e.g. Wan's `blocks.0.scale_shift_table`), the FP16_OP_BLOCK ops, and the chain
    between them (CHAIN_OPS)."""
    g = model.graph
    inits = {t.name for t in g.initializer}
    const = inits | {o for n in g.node if n.op_type == "Constant" for o in n.output}
    kept: list[str] = []
    fp32_values: set[str] = set()
    for n in g.node:
        path = n.name.rpartition("/")[0]
        reads_kept = any(i in inits and _kept_path(i, modules, scopes) for i in n.input)
        chain = n.op_type in CHAIN_OPS and any(i in fp32_values for i in n.input) \
            and all(i in fp32_values or i in const or i == "" for i in n.input)
        if (path and _kept_path(path, modules, scopes)) or reads_kept or n.op_type in FP16_OP_BLOCK or chain:
            kept.append(n.name)
            fp32_values.update(n.output)
    # Sin/Cos (timestep embeddings, RoPE) with the whole computation of their argument: a phase of
    # t·1000·freq needs its absolute error well under 1, and half has 0.5 between 512 and 1024 (diffusers'
    # get_timestep_embedding computes in float32 explicitly; the fp32 export loses the `.float()`)
    producer = {o: n for n in g.node for o in n.output}
    todo = [n for n in g.node if n.op_type in ("Sin", "Cos")]
    seen = {n.name for n in todo}
    while todo:
        n = todo.pop()
        for i in n.input:
            p = producer.get(i)
            if p is not None and p.op_type in PHASE_OPS and p.name not in seen:
                seen.add(p.name)
                todo.append(p)
    return kept + [n.name for n in g.node if n.name in seen and n.name not in set(kept)]


def _infer_types(model: onnx.ModelProto) -> None:
    """onnx shape inference on `model` in place, without serialising its weights (a DiT is past
    protobuf's 2 GB): large initializers' bytes are set aside while it runs."""
    g = model.graph
    saved = {}
    for t in g.initializer:
        if t.HasField("raw_data") and len(t.raw_data) > 1024:
            saved[t.name] = t.raw_data
            t.ClearField("raw_data")
            t.data_location = onnx.TensorProto.EXTERNAL
            e = t.external_data.add()
            e.key, e.value = "location", "set-aside"
    inferred = onnx.shape_inference.infer_shapes(model)
    for t in g.initializer:
        if t.name in saved:
            del t.external_data[:]
            t.data_location = onnx.TensorProto.DEFAULT
            t.raw_data = saved.pop(t.name)
    del g.value_info[:]
    g.value_info.extend(inferred.graph.value_info)


def _skip_half_round_trips(model: onnx.ModelProto) -> int:
    """convert_float_to_float16 casts every kept node's outputs back to float16 and its inputs to
    float32, so two kept nodes in a row (and a kept node reading a float32 graph input) would pass their
    value through half precision — the overflow the node was kept for. Each Cast(to float) of a
    Cast(to float16) of a float32 value becomes an Identity of that value; casts left unused are
    removed. Returns the round trips removed."""
    from onnx import TensorProto

    g = model.graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*g.input, *g.value_info, *g.output]}
    types.update({t.name: t.data_type for t in g.initializer})
    producer = {o: n for n in g.node for o in n.output}

    def cast_to(n) -> int | None:
        return next((a.i for a in n.attribute if a.name == "to"), None) if n.op_type == "Cast" else None

    removed = 0
    for n in g.node:
        src = producer.get(n.input[0]) if n.op_type == "Cast" else None
        if cast_to(n) == TensorProto.FLOAT and src is not None and cast_to(src) == TensorProto.FLOAT16 \
                and types.get(src.input[0]) == TensorProto.FLOAT:
            n.op_type = "Identity"
            del n.attribute[:]
            n.input[0] = src.input[0]
            removed += 1
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    keep = [n for n in g.node if n.op_type != "Cast" or any(o in used for o in n.output)]
    del g.node[:]
    g.node.extend(keep)
    return removed


def _topological_order(g: onnx.GraphProto) -> None:
    """Put the nodes in an order where each comes after what it reads, as ONNX requires (the converter
    appends its Casts at the end; onnxruntime sorts for itself, other runtimes need not)."""
    ready = {i.name for i in g.input} | {t.name for t in g.initializer} | {""}
    nodes, order = list(g.node), []
    waiting = {id(n): sum(i not in ready for i in set(n.input)) for n in nodes}
    readers: dict[str, list] = {}
    for n in nodes:
        for i in set(n.input):
            if i not in ready:
                readers.setdefault(i, []).append(n)
    queue = [n for n in nodes if waiting[id(n)] == 0]
    while queue:
        n = queue.pop(0)
        order.append(n)
        for o in n.output:
            for r in readers.pop(o, []):
                waiting[id(r)] -= 1
                if waiting[id(r)] == 0:
                    queue.append(r)
    if len(order) != len(nodes):
        raise ValueError(f"fp16: {len(nodes) - len(order)} nodes read values nothing writes")
    copies = [onnx.NodeProto() for _ in order]  # copied out before the list they live in is cleared
    for c, n in zip(copies, order):
        c.CopyFrom(n)
    del g.node[:]
    g.node.extend(copies)


def to_fp16(model: onnx.ModelProto, modules=(), scopes=()) -> int:
    """float16 weights and arithmetic, float32 at the graph boundary (docs/model-package.md: every variant
    takes and gives float32), with onnxruntime's own converter (onnxruntime.transformers.float16). Kept in
    float32: the nodes of `modules` (keep_in_fp32: the library's `_keep_in_fp32_modules`) and of `scopes`
    (fnmatch patterns on the module path), and the FP16_OP_BLOCK chains (fp32_nodes). Weights read only by
    kept nodes stay float32. Modifies `model` in place; returns the initializers made float16."""
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    _infer_types(model)
    kept = fp32_nodes(model, modules, scopes)
    before = {t.name for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT}
    # max_finite_val: a weight past half's range is clamped to 65504 (none in a trained checkpoint's
    # weights that are not kept; such a weight would show in the error check)
    out = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True,
                                   op_block_list=[*DEFAULT_OP_BLOCK_LIST, *FP16_OP_BLOCK], node_block_list=kept)
    if out is not model:
        model.CopyFrom(out)
    _skip_half_round_trips(model)
    _topological_order(model.graph)
    del model.graph.value_info[:]  # the converter's, partly stale after the rewiring; runtimes infer their own
    return sum(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer if t.name in before)


def quantize(variant: str, model: onnx.ModelProto, keep: tuple[str, ...] = (), scopes: tuple[str, ...] = ()) -> int:
    """QUANTIZERS[variant] on `model`; fp16 also takes the modules and scopes it keeps in float32."""
    return to_fp16(model, keep, scopes) if variant == "fp16" else QUANTIZERS[variant](model)


QUANTIZERS = {"fp16": to_fp16, "int8": quantize_matmul8, "q4": quantize_q4}
