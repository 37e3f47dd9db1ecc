"""Writes the shipped text encoder (one graph of 6 layers) again as parts (docs/model-package.md
"Parts"), as the converter would: part 0 takes input_ids and attention_mask and gives state0, part k
takes state{k-1} and attention_mask, the last gives hidden; each part keeps its weights in its own
external data file. The graph is cut, not retrained: the parts compute what the whole graph does.
For tests/integration/parted-package.ts (the bench and prompt-cost runs on a parted package).
argv: in.onnx out_dir parts; prints the files written, in run order, as JSON [[path, ...], ...]."""
import json
import os
import sys

import onnx
from onnx import utils

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = onnx.load(src)
# The output of each layer's last node: /layers.{i}/ln2/... (the last layer's is "hidden").
layers = sorted({node.name.split("/")[1] for node in model.graph.node if node.name.startswith("/layers.")},
                key=lambda s: int(s.split(".")[1]))
if not 2 <= n <= len(layers):
    sys.exit(f"parts must be in 2..{len(layers)}")
ends = {}
for node in model.graph.node:
    if node.name.startswith("/" + layers[0].split(".")[0] + "."):
        ends[node.name.split("/")[1]] = node.output[0]
# Cut after layers spread evenly: parts of len(layers) / n layers each.
cuts = [ends[layers[round(len(layers) * (k + 1) / n) - 1]] for k in range(n - 1)]

stem = os.path.splitext(os.path.basename(src))[0]
full = os.path.join(out, "_whole.onnx")
onnx.save(model, full)
written = []
for k in range(n):
    inputs = ["input_ids", "attention_mask"] if k == 0 else [cuts[k - 1], "attention_mask"]
    outputs = [cuts[k]] if k < n - 1 else ["hidden"]
    name = f"{stem}.onnx" if k == 0 else f"{stem}.part{k}.onnx"
    path = os.path.join(out, name)
    utils.extract_model(full, path, inputs, outputs)
    part = onnx.load(path)
    # The converter's names: state{k} between parts.
    rename = {cuts[j]: f"state{j}" for j in range(n - 1)}
    for node in part.graph.node:
        node.input[:] = [rename.get(x, x) for x in node.input]
        node.output[:] = [rename.get(x, x) for x in node.output]
    for v in list(part.graph.input) + list(part.graph.output):
        v.name = rename.get(v.name, v.name)
    onnx.save_model(part, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=name + ".data", size_threshold=1024)
    written.append([name, name + ".data"])
os.remove(full)
print(json.dumps(written))
