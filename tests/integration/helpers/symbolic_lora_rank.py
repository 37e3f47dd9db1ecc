"""Writes a copy of a denoiser whose lora_down / lora_up inputs have a symbolic rank axis 'r'
(what an exporter does with dynamic_axes), for tests/integration/lora-rank.test.ts.
argv: in.onnx out.onnx"""
import sys

import onnx

m = onnx.load(sys.argv[1])
for i in m.graph.input:
    if i.name == "lora_down":
        i.type.tensor_type.shape.dim[3].dim_param = "r"
    if i.name == "lora_up":
        i.type.tensor_type.shape.dim[4].dim_param = "r"
onnx.save(m, sys.argv[2])
