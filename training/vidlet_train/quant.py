"""int8 variants of the ONNX graphs.

MatMul-heavy graphs (text encoder, denoiser) go through onnxruntime's quantize_dynamic, which
turns MatMul into DynamicQuantizeLinear + MatMulInteger. The VAE graphs are 3D convolutions, and
onnxruntime has no ConvInteger kernel for 3D (quantize_dynamic's output fails to run), so for
Conv weights we store int8 per-output-channel weights and a DequantizeLinear node in front of the
float Conv: 4x smaller files, the same float arithmetic at run time, only standard ops (wasm-safe).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic


def quantize_matmuls(src: str, dst: str, ops: list[str]) -> None:
    # per-channel weight scales halve the text encoder's error against per-tensor ones (13% vs 29%
    # relative on token states, measured on three captions)
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=ops, per_channel=True)


def quantize_conv_weights(src: str, dst: str, min_elements: int = 256) -> int:
    """Replace every float Conv weight initializer by int8 + DequantizeLinear (axis 0, symmetric).

    Returns the number of weights quantized. Small weights (< min_elements) stay float.
    """
    model = onnx.load(src)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes, count, done = [], 0, {}
    for node in g.node:
        if node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in done:
            node.input[1] = done[node.input[1]]  # a weight shared by several convs
        elif node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in inits:
            w = numpy_helper.to_array(inits[node.input[1]])
            if w.dtype == np.float32 and w.size >= min_elements:
                name = node.input[1]
                flat = w.reshape(w.shape[0], -1)
                scale = np.maximum(np.abs(flat).max(1), 1e-12) / 127.0
                q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
                g.initializer.remove(inits[name])
                g.initializer.extend([numpy_helper.from_array(q, name + "_q"),
                                      numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
                                      numpy_helper.from_array(np.zeros(w.shape[0], np.int8), name + "_zp")])
                new_nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"],
                                                  [name + "_dq"], axis=0, name=name + "_DequantizeLinear"))
                node.input[1] = done[name] = name + "_dq"
                del inits[name]
                count += 1
    # DequantizeLinear nodes first keeps the graph topologically sorted
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return count
