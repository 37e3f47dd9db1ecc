"""int8 variants of the ONNX graphs.

onnxruntime's quantize_dynamic (DynamicQuantizeLinear + MatMulInteger) rounds every activation
per tensor at run time, which neither the text encoder (22-47% off: MiniLM has huge outlier
activations) nor the 4-channel DiT (velocities 0.48 off) survives. Both get weight-only int8
(`quantize_weights_only`, below; re-make the text encoder's from a package's fp32 graph with
`python -m vidlet_train.quant --text-encoder ../public/models/vidlet-tiny [--update-package]`).
The VAE graphs are 3D convolutions, and onnxruntime has no ConvInteger kernel for 3D (quantize_dynamic's output fails to run), so for
Conv weights we store int8 per-output-channel weights and a DequantizeLinear node in front of the
float Conv: 4x smaller files, the same float arithmetic at run time, only standard ops (wasm-safe).
"""
from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import helper, numpy_helper


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



# ---------------------------------------------------------------------------------------------
# Weight-only int8 for MatMul/Gather graphs (the text encoder)
#
# quantize_dynamic's MatMulInteger also quantizes every activation per tensor. MiniLM's residual
# stream carries a few huge outlier channels (layer 0's FFN output reaches ~25 in one channel
# where the median channel peaks at ~1), so the dynamic int8 text encoder was 22-47% off in
# relative RMS of its token states. Here activations stay float32 and only weights are int8:
#  * MatMul weights W [K, N]: one scale per output column, rounded by GPTQ (each input row's
#    rounding error is pushed onto the rows not yet rounded, weighted by the calibration
#    activations' XᵀX), which halves the error of plain rounding on this model. Entries
#    beyond `outlier_sigma` column-RMS (layer 0's FFN has a 7.9 where the column's median
#    entry is 0.014) would set their column's scale alone; they are zeroed in the int8 matrix
#    and applied exactly through a small float side MatMul over the rows that hold them.
#  * Gather tables indexed by a graph input (the word embeddings): int8 with one scale per row;
#    the graph gathers int8 rows and their scales (`Cast -> Mul`), so only looked-up rows are
#    dequantized. `exact_rows` (the tokenizer's special tokens: [CLS]/[SEP]/[PAD] are in every
#    prompt, and every pad position attends to them) keep their float rows through `Where`.
#    Tables indexed by computed indices (position embeddings) read the same rows for every
#    prompt, so their error would hit every prompt: they stay float (0.8 MB here).
# Measured on the shipped text encoder (relative RMS of all token states vs fp32 on the 516 prompts
# of tests/fixtures/tokenizer-cases.json + eval-prompts.json): quantize_dynamic 22%, plain
# per-column rounding 7.9%, GPTQ 2.1% (1/4 of the prompts), GPTQ + outliers + exact rows 1.1%.
# Only standard ops (DequantizeLinear, Gather, Cast, Mul, MatMul, Add, Equal, Unsqueeze, Where):
# onnxruntime-web's wasm backend runs them.
# ---------------------------------------------------------------------------------------------


def _matmul_weights(model, min_elements: int) -> dict[str, list]:
    """MatMul nodes whose second input is a 2-D float32 initializer, by weight name."""
    inits = {i.name: i for i in model.graph.initializer}
    found: dict[str, list] = {}
    for node in model.graph.node:
        t = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if t is not None and t.data_type == onnx.TensorProto.FLOAT and len(t.dims) == 2 \
                and int(np.prod(t.dims)) >= min_elements:
            found.setdefault(node.input[1], []).append(node)
    return found


def matmul_input_grams(model, calibration: list[dict[str, np.ndarray]], min_elements: int = 4096) -> dict[str, np.ndarray]:
    """XᵀX (float64, summed over every row of every batch) of the activation entering each
    weight MatMul, keyed by the activation's name. Batches are run one at a time to bound memory."""
    import onnxruntime as ort

    acts = sorted({n.input[0] for nodes in _matmul_weights(model, min_elements).values() for n in nodes})
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    probe.graph.output.extend(helper.make_tensor_value_info(a, onnx.TensorProto.FLOAT, None) for a in acts if a not in have)
    sess = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    grams: dict[str, np.ndarray] = {}
    for feeds in calibration:
        for a, x in zip(acts, sess.run(acts, feeds)):
            x = x.reshape(-1, x.shape[-1]).astype(np.float64)
            grams[a] = grams.get(a, 0) + x.T @ x
    return grams


def gptq_int8(w: np.ndarray, gram: np.ndarray | None, outlier_sigma: float | None = 8.0, damp: float = 0.01):
    """Round W [K, N] (y = x·W) to int8 with one scale per column.

    Returns (q int8 [K, N], scale float32 [N], outlier_rows int64 [m], outlier_w float32 [m, N]) with
    W ≈ q·scale + (outlier_w placed at outlier_rows). Without `gram` it is plain rounding.
    GPTQ (Frantar et al. 2022) in the order of decreasing input energy (act-order)."""
    w = w.astype(np.float64).copy()
    K, _ = w.shape
    if outlier_sigma:
        out = np.abs(w) > outlier_sigma * np.sqrt((w ** 2).mean(0, keepdims=True))
    else:
        out = np.zeros(w.shape, bool)
    rows = np.flatnonzero(out.any(1))
    outlier_w = np.where(out, w, 0.0)[rows].astype(np.float32)
    w[out] = 0.0
    scale = np.maximum(np.abs(w).max(0), 1e-12) / 127.0
    if gram is None:
        q = np.clip(np.round(w / scale), -127, 127)
    else:
        h = gram.copy()
        dead = np.diag(h) == 0
        h[dead, dead] = 1.0
        h += damp * np.mean(np.diag(h)) * np.eye(K)
        order = np.argsort(-np.diag(h), kind="stable")
        w, h, keep0 = w[order], h[order][:, order], out[order]
        hinv = np.linalg.cholesky(np.linalg.inv(h)).T  # upper Cholesky factor of H⁻¹
        qo = np.zeros_like(w)
        for k in range(K):
            qk = np.where(keep0[k], 0.0, np.clip(np.round(w[k] / scale), -127, 127))
            err = (w[k] - qk * scale) / hinv[k, k]
            w[k + 1:] -= np.outer(hinv[k, k + 1:], err)
            qo[k] = qk
        q = np.empty_like(qo)
        q[order] = qo
    return q.astype(np.int8), scale.astype(np.float32), rows.astype(np.int64), outlier_w


def quantize_weights_only(src: str, dst: str, calibration: list[dict[str, np.ndarray]] | None = None,
                          outlier_sigma: float | None = 8.0, exact_rows: tuple[int, ...] = (),
                          min_elements: int = 4096, damp: float = 0.01) -> dict[str, int]:
    """Write `dst`: `src` with int8 MatMul weights and input-indexed Gather tables (see above).

    `calibration`: input batches for GPTQ (None: plain per-column rounding). Returns counts."""
    model = onnx.load(src)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    graph_inputs = {i.name for i in g.input}
    uses: dict[str, int] = {}
    for node in g.node:
        for x in node.input:
            uses[x] = uses.get(x, 0) + 1
    grams = matmul_input_grams(model, calibration, min_elements) if calibration else {}
    weights = _matmul_weights(model, min_elements)
    counts = {"MatMul": 0, "Gather": 0, "outlier_entries": 0, "exact_rows": 0}
    new_inits, dq_nodes, nodes, done, replaced = [], [], [], {}, []
    const = lambda name, value: new_inits.append(numpy_helper.from_array(value, name)) or name  # noqa: E731

    for node in g.node:
        name = node.input[1] if node.op_type == "MatMul" else node.input[0] if node.input else ""
        if node.op_type == "MatMul" and name in weights:
            if name not in done:
                w = numpy_helper.to_array(inits[name])
                nodes_using = weights[name]
                gram = sum(grams[n.input[0]] for n in nodes_using) if grams else None
                q, scale, rows, outlier_w = gptq_int8(w, gram, outlier_sigma, damp)
                const(name + "_q", q)
                const(name + "_scale", scale)
                const(name + "_zp", np.zeros(scale.shape, np.int8))
                dq_nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"],
                                                 [name + "_dq"], axis=1, name=name + "_DequantizeLinear"))
                if len(rows):
                    const(name + "_outlier_rows", rows)
                    const(name + "_outlier_w", outlier_w)
                    counts["outlier_entries"] += int((outlier_w != 0).sum())
                done[name] = len(rows) > 0
                replaced.append(name)
                counts["MatMul"] += 1
            node.input[1] = name + "_dq"
            nodes.append(node)
            if done[name]:  # y = x·dq(q) + x[..., rows]·outlier_w
                y, base = node.output[0], node.name or name
                node.output[0] = y + "_int8"
                nodes += [helper.make_node("Gather", [node.input[0], name + "_outlier_rows"], [y + "_xo"], axis=-1,
                                           name=base + "_outlier_Gather"),
                          helper.make_node("MatMul", [y + "_xo", name + "_outlier_w"], [y + "_yo"], name=base + "_outlier_MatMul"),
                          helper.make_node("Add", [y + "_int8", y + "_yo"], [y], name=base + "_outlier_Add")]
            continue
        if (node.op_type == "Gather" and name in inits and uses.get(name) == 1 and node.input[1] in graph_inputs
                and next((a.i for a in node.attribute if a.name == "axis"), 0) == 0
                and inits[name].data_type == onnx.TensorProto.FLOAT and len(inits[name].dims) == 2
                and int(np.prod(inits[name].dims)) >= min_elements):
            w = numpy_helper.to_array(inits[name])
            ids, out, base = node.input[1], node.output[0], node.name or name
            q, scale = _symmetric_int8(w, axis=0)
            const(name + "_q", q)
            const(name + "_scale", scale.reshape(-1, 1))
            node.input[0] = name + "_q"
            node.output[0] = out + "_q"
            rows = [r for r in exact_rows if 0 <= r < w.shape[0]]
            last = out if not rows else out + "_deq"
            nodes += [node,
                      helper.make_node("Gather", [name + "_scale", ids], [out + "_rowscale"], axis=0, name=base + "_scale"),
                      helper.make_node("Cast", [out + "_q"], [out + "_f"], to=onnx.TensorProto.FLOAT, name=base + "_Cast"),
                      helper.make_node("Mul", [out + "_f", out + "_rowscale"], [last], name=base + "_Mul")]
            if rows:
                axes = const(name + "_axes", np.array([-1], np.int64))
                for j, r in enumerate(rows):
                    nxt = out if j == len(rows) - 1 else f"{out}_exact{j}"
                    nodes += [helper.make_node("Equal", [ids, const(f"{name}_id{r}", np.array(r, np.int64))], [f"{nxt}_is"],
                                               name=f"{base}_exact{r}_Equal"),
                              helper.make_node("Unsqueeze", [f"{nxt}_is", axes], [f"{nxt}_is3"], name=f"{base}_exact{r}_Unsqueeze"),
                              helper.make_node("Where", [f"{nxt}_is3", const(f"{name}_row{r}", w[r]), last], [nxt],
                                               name=f"{base}_exact{r}_Where")]
                    last = nxt
                counts["exact_rows"] += len(rows)
            replaced.append(name)
            counts["Gather"] += 1
            continue
        nodes.append(node)
    for name in replaced:
        g.initializer.remove(inits[name])
    g.initializer.extend(new_inits)
    del g.node[:]
    g.node.extend(dq_nodes + nodes)  # DequantizeLinear first keeps the graph topologically sorted
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return counts


def _symmetric_int8(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """int8 in [-127, 127] with one scale per slice along `axis` (max |w| of the slice / 127)."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.maximum(np.abs(w).max(axis=red), 1e-12).astype(np.float32) / np.float32(127.0)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8), scale


# ---------------------------------------------------------------------------------------------
# The text encoder
# ---------------------------------------------------------------------------------------------

def _tokenize(tokenizer_path: str, max_length: int, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_path)
    tok.enable_truncation(max_length)
    tok.enable_padding(length=max_length, pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(texts)
    return np.array([e.ids for e in enc], np.int64), np.array([e.attention_mask for e in enc], np.int64)


def calibration_texts(n_captions: int = 224, seed: int = 20261202) -> list[str]:
    """What the text encoder sees: "" (the unconditional text), training-world captions (a seed
    apart from the held-out eval prompts') and single words of the caption vocabulary."""
    import random

    from .world import sample_clip_spec
    from .world.catalog import COLOURS, SHAPES

    rng = random.Random(seed)
    captions = [sample_clip_spec(rng, n_scenes=2 if rng.random() < 0.2 else 1).caption for _ in range(n_captions)]
    words = sorted({w for _, syn in COLOURS.values() for w in syn} | {w for ws in SHAPES.values() for w in ws})
    return ["", " "] + captions + words[:30] + GENERAL_TEXTS


# People type more than the training world's captions: plain sentences, numbers, punctuation.
GENERAL_TEXTS = [
    "A dog runs across the park to catch a frisbee.", "Two children are building a sandcastle on the beach.",
    "The old train slowly pulls into the snowy station at night.", "Rain falls on a quiet city street, neon lights reflecting.",
    "A chef chops onions in a busy restaurant kitchen.", "Waves crash against the rocks under a stormy sky!",
    "Is this the logo animation for our spring sale?", "Product shot: a perfume bottle rotating slowly, 50% off, only $19.99",
    "Timelapse of clouds moving over mountains (4K, 24fps)", "Happy birthday Anna!!! 🎉",
    "A cat sleeps on a warm windowsill while snow falls outside.", "The quick brown fox jumps over the lazy dog.",
    "Welcome to Vidlet - make short clips in your browser.", "New arrivals every Monday; free shipping over 30 EUR.",
    "An astronaut floats inside the space station, waving at the camera.", "Close-up of coffee being poured into a white cup.",
]


def special_token_ids(tokenizer_path: str) -> tuple[int, ...]:
    with open(tokenizer_path, encoding="utf-8") as f:
        return tuple(sorted(t["id"] for t in json.load(f).get("added_tokens", []) if t.get("special")))


def quantize_text_encoder(src: str, dst: str, tokenizer_path: str, max_length: int, batch: int = 32) -> dict[str, int]:
    """The text encoder's int8 variant: weight-only int8, GPTQ-calibrated (see above).

    outlier_sigma 6 (1081 entries in 329 rows kept float, +0.5 MB): 1.10% / cosine >= 0.99901 on
    the 516 fixture prompts; 8: 1.12% / 0.99890; GPTQ on the partly quantized model's activations
    (36 passes, 3 min) gained 0.1% and no worst-case cosine, so one pass is used."""
    ids, mask = _tokenize(tokenizer_path, max_length, calibration_texts())
    calibration = [{"input_ids": ids[i:i + batch], "attention_mask": mask[i:i + batch]} for i in range(0, len(ids), batch)]
    return quantize_weights_only(src, dst, calibration, outlier_sigma=6.0, exact_rows=special_token_ids(tokenizer_path))


def text_encoder_drift(fp32_path: str, int8_path: str, ids: np.ndarray, mask: np.ndarray, batch: int = 32) -> dict:
    """How far an int8 text encoder is from its fp32 graph on the given token batches (onnxruntime CPU).

    relative_rms: ||int8 - fp32|| / ||fp32|| over every output value (pad positions too: the
    denoiser masks them, but this is what tests/integration/variants.test.ts measures);
    relative_rms_tokens: the same over real tokens only; cosine_*: cosine of the mean-pooled
    (attention-masked) token states, as sentence-transformers pools MiniLM.
    """
    import onnxruntime as ort

    runs = []
    for path in (fp32_path, int8_path):
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        runs.append(np.concatenate([s.run(["hidden"], {"input_ids": ids[i:i + batch], "attention_mask": mask[i:i + batch]})[0]
                                    for i in range(0, len(ids), batch)]).astype(np.float64))
    a, b = runs
    real = mask.astype(bool)
    m = mask[..., None].astype(np.float64)
    pa, pb = ((x * m).sum(1) / np.maximum(m.sum(1), 1) for x in (a, b))
    cos = (pa * pb).sum(1) / np.maximum(np.linalg.norm(pa, axis=1) * np.linalg.norm(pb, axis=1), 1e-30)
    return {"texts": int(len(ids)),
            "relative_rms": float(np.linalg.norm(b - a) / np.linalg.norm(a)),
            "relative_rms_tokens": float(np.linalg.norm((b - a)[real]) / np.linalg.norm(a[real])),
            "max_abs": float(np.abs(b - a).max()),
            "cosine_min": float(cos.min()), "cosine_mean": float(cos.mean())}


def _update_package(pkg: str, int8_name: str, max_abs_vs_pytorch: float) -> None:
    """Minimal read-modify-write: only the text encoder's int8 file entry of manifest.json, and its
    error and size in export_report.json; everything else (adapters, blender, ...) is kept as is."""
    import hashlib
    import os

    path = os.path.join(pkg, int8_name)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    size = os.path.getsize(path)
    for name, edit in (("manifest.json", lambda m: m["components"]["textEncoder"]["variants"]["int8"]["files"][0].update(
                            {"bytes": size, "sha256": h.hexdigest()})),
                       ("export_report.json", lambda r: (r["max_abs_error_vs_pytorch"].__setitem__("textEncoder.int8", max_abs_vs_pytorch),
                                                         r["bytes"].__setitem__(int8_name, size)))):
        p = os.path.join(pkg, name)
        text = open(p, encoding="utf-8").read()
        doc = json.loads(text)
        if name == "manifest.json":
            assert doc["components"]["textEncoder"]["variants"]["int8"]["files"][0]["path"] == int8_name
        edit(doc)
        with open(p, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, indent=2) + ("\n" if text.endswith("\n") else ""))


def main() -> None:
    import argparse
    import os

    ap = argparse.ArgumentParser(description="Re-make the text encoder's int8 variant from the package's fp32 graph "
                                             "(nothing else is re-exported) and measure it against fp32.")
    ap.add_argument("--text-encoder", metavar="PACKAGE", required=True, help="model package folder, e.g. ../public/models/vidlet-tiny")
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = os.path.join(here, "..", "..", "tests", "fixtures")
    ap.add_argument("--prompts", nargs="*", default=[os.path.join(fixtures, "tokenizer-cases.json"), os.path.join(fixtures, "eval-prompts.json")],
                    help="JSON files of prompts to measure on ({cases:[{text}]} or [{prompt}])")
    ap.add_argument("--update-package", action="store_true",
                    help="also write the int8 file's bytes/sha256 into manifest.json and its error/size into export_report.json")
    args = ap.parse_args()
    pkg = args.text_encoder
    manifest = json.load(open(os.path.join(pkg, "manifest.json"), encoding="utf-8"))
    te = manifest["components"]["textEncoder"]["variants"]
    fp32, int8 = (os.path.join(pkg, te[v]["files"][0]["path"]) for v in ("fp32", "int8"))
    tokenizer, max_length = os.path.join(pkg, manifest["text"]["tokenizer"]), manifest["text"]["maxLength"]
    tmp = int8 + ".tmp"
    counts = quantize_text_encoder(fp32, tmp, tokenizer, max_length)
    os.replace(tmp, int8)

    texts: list[str] = []
    for p in args.prompts:
        doc = json.load(open(p, encoding="utf-8"))
        texts += [c["text"] for c in doc["cases"]] if isinstance(doc, dict) else [d["prompt"] for d in doc]
    ids, mask = _tokenize(tokenizer, max_length, texts)
    report = {"file": int8, "bytes": os.path.getsize(int8), "fp32_bytes": os.path.getsize(fp32), "quantized": counts,
              "vs_fp32": text_encoder_drift(fp32, int8, ids, mask)}
    # the same check as export.py's (random ids, seed 0): max abs error against the PyTorch port
    import torch

    from .export import check_graph
    from .text_encoder import MiniLM

    torch.manual_seed(0)
    tids = torch.randint(1000, 5000, (2, max_length))
    tmask = torch.ones(2, max_length, dtype=torch.long)
    tmask[1, 10:] = 0
    report["max_abs_error_vs_pytorch"] = check_graph(int8, MiniLM.pretrained(), {"input_ids": tids, "attention_mask": tmask}, ["hidden"])
    if args.update_package:
        _update_package(pkg, os.path.basename(int8), report["max_abs_error_vs_pytorch"])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
