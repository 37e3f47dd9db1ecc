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


QUANTIZERS = {"int8": quantize_matmul8, "q4": quantize_q4}
