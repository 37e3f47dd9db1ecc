"""The package's bookkeeping: file entries with size and sha256, the tolerance check, tokenizer.json,
manifest.json and the model-card stub (docs/model-package.md)."""
from __future__ import annotations

import hashlib
import json
import os

# Largest accepted error per graph, relative to the largest |PyTorch output| on the same random
# inputs (so a text encoder whose states reach hundreds and a decoder in [-1,1] are judged alike).
# fp32 differs from PyTorch only by kernel order; weight-only int8 rounds each weight to 1/254 of
# its channel's range; q4 to 1/14 of a 32-weight block's. fp16 rounds every weight and every value
# between ops to 11 significant bits (2^-11 = 4.9e-4 relative, 8x finer than int8's weights): 3e-2 is
# about twice the worst graph measured, the tiny fixture's VAE decoder (0.016: its 3-channel
# normalisations come near 0); the published widths measured less (convert/README.md). What is
# measured is onnxruntime's CPU provider, which runs most ops of an fp16 graph in float32 between
# half-precision values (WebGPU's half arithmetic could not be run here). An export beyond these
# fails before manifest.json is written.
TOLERANCE = {"fp32": 1e-4, "fp16": 3e-2, "int8": 5e-2, "q4": 0.25}


class ConversionError(RuntimeError):
    pass


def compare(got, ref, variant: str) -> dict:
    """A graph's outputs against PyTorch's (numpy arrays, or lists of them): max abs, the largest |reference|,
    `relative` (max abs / that peak: what TOLERANCE bounds) and `mean_relative` (mean abs error / mean
    |reference|: how far a typical value is, where one outlier sets `relative`)."""
    import numpy as np

    pairs = list(zip(got, ref)) if isinstance(got, (list, tuple)) else [(got, ref)]
    abs_err = max(float(np.abs(a - b).max()) for a, b in pairs)
    peak = max(float(np.abs(b).max()) for _, b in pairs)
    mean = sum(float(np.abs(a - b).sum()) for a, b in pairs) / max(sum(float(np.abs(b).sum()) for _, b in pairs), 1e-30)
    return {"variant": variant, "max_abs": abs_err, "peak": peak, "relative": abs_err / max(peak, 1e-12),
            "mean_relative": mean}


def check_tolerances(errors: dict[str, dict], out_dir: str | None = None) -> None:
    """Raise ConversionError when a graph is beyond its variant's tolerance; with `out_dir`, first write
    every measured error to `convert_report.json` there, so a refused conversion still shows what it
    measured (and no manifest.json, so no engine loads the folder)."""
    over = [f"{k} {e['relative']:.3g} > {TOLERANCE[e['variant']]}" for k, e in errors.items()
            if not e["relative"] <= TOLERANCE[e["variant"]]]
    if over:
        if out_dir:
            json.dump({"refused": over, "tolerance": TOLERANCE, "errors": errors},
                      open(os.path.join(out_dir, "convert_report.json"), "w"), indent=2)
        raise ConversionError("converted graphs differ from PyTorch beyond tolerance: " + ", ".join(over))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entries(out_dir: str, names: list[str]) -> list[dict]:
    return [{"path": n, "bytes": os.path.getsize(os.path.join(out_dir, n)), "sha256": sha256(os.path.join(out_dir, n))}
            for n in names]


def variant_entry(out_dir: str, names: list[str], variant: str) -> dict:
    """A manifest variant: its files and, for fp16, `requires: ["shader-f16"]` (half-precision arithmetic
    runs only on WebGPU with that feature; src/engine/backend.ts refuses it elsewhere)."""
    return {"files": file_entries(out_dir, names), **({"requires": ["shader-f16"]} if variant == "fp16" else {})}


def write_tokenizer(src: str, dst: str, pad_id: int, pad_token: str) -> None:
    """tokenizer.json of the tokenizer the pipeline runs from the folder of `src` (its transformers class,
    as the pipeline loads it), with an explicit padding block: the engine pads to text.maxLength itself
    (src/engine/tokenizer.ts) but takes the pad id from here, else `[PAD]`, else 0. Not the file as it is:
    transformers 5 rebuilds a T5Tokenizer's normaliser and pre-tokenizer from its class (Precompiled
    alone, WhitespaceSplit + Metaspace) whatever the file says, and a T5 file written by transformers 4
    (Precompiled, Strip, Replace; Metaspace alone) splits words differently on U+0085
    (tests/test_precompiled_tokenizer.py)."""
    from transformers import AutoTokenizer

    tok = json.loads(AutoTokenizer.from_pretrained(os.path.dirname(src)).backend_tokenizer.to_str())
    tok["padding"] = {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                      "pad_id": pad_id, "pad_type_id": 0, "pad_token": pad_token}
    tok["truncation"] = None
    json.dump(tok, open(dst, "w", encoding="utf-8"), ensure_ascii=False)


def model_card(info: dict) -> str:
    """MODEL_CARD.md: what was converted, from what, how, and how close each graph is."""
    rows = "\n".join(f"| {k} | {e['variant']} | {e['max_abs']:.3g} | {e['relative']:.3g} |"
                     for k, e in info["errors"].items())
    sizes = "\n".join(f"| {c} | {v} | {b / 1e6:.2f} MB |" for (c, v), b in info["sizes"].items())
    merged = info.get("mergedLoras")
    changed = f"Vidlet changed no weight except by merging LoRA files into the denoiser (`--merge-lora`): {merged}." \
        if merged else "Vidlet changed no weight."
    if info.get("transformerFile"):
        changed = f"The denoiser's weights are not the folder's but those of {info['transformerFile']} (`--transformer`). {changed}"
    return f"""# {info['displayName']}

Converted by Vidlet's converter (`convert/`, `python -m vidlet_convert {info['family']}`) from the diffusers
checkpoint `{info['source']}` (pipeline `{info['pipeline']}`). The weights are the publisher's; their licence
applies: **{info['license']}**. {changed} The int8 variants store each MatMul weight in 8 bits with a
scale per 32 weights (onnxruntime's MatMulNBits; other weights per output channel), q4 in 4 bits likewise,
fp16 in half precision with the parts the libraries keep in float32 kept so.

* Converted with torch {info['versions']['torch']}, diffusers {info['versions']['diffusers']},
  transformers {info['versions']['transformers']}, onnx {info['versions']['onnx']}, opset {info['opset']},
  in {info['seconds']:.0f} s.
* Video {info['video']}; latent {info['latent']}; text max length {info['maxLength']}.
* Sampling defaults: {info['schedule']}. The publisher's pipeline uses {info['publisherScheduler']}.
* Preview decoder: a linear latent→RGB map fitted to this VAE (R² {info['previewFit']['r2']:.3f}
  on N(0,1) latents).

## Error against PyTorch (random inputs; relative = max abs / max |PyTorch|)

| graph | variant | max abs | relative |
|---|---|---|---|
{rows}

## Sizes

| component | variant | bytes |
|---|---|---|
{sizes}
"""


def versions() -> dict:
    import diffusers
    import onnx
    import torch
    import transformers

    return {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__,
            "onnx": onnx.__version__}


def write_package(out_dir: str, info: dict, card: dict, components: dict, sizes: dict, report: dict) -> dict:
    """MODEL_CARD.md, manifest.json (`info`, whose `components` are `components` less their timing) and
    convert_report.json; called only after the tolerance gate passed. `card` holds the family's fields
    for model_card beyond the manifest's; returns the report."""
    from .onnx_io import OPSET

    v, lt = info["video"], info["latent"]
    full = {**info, **card, "video": f"{v['width']}x{v['height']}, {v['frames']} frames at {v['fps']} fps",
            "latent": f"{lt['channels']}x{lt['frames']}x{lt['height']}x{lt['width']} (per-channel shift/scale in the manifest)",
            "errors": report["errors"], "sizes": sizes, "opset": OPSET, "seconds": report["seconds"],
            "versions": versions()}
    open(os.path.join(out_dir, "MODEL_CARD.md"), "w").write(model_card(full))
    report["component_seconds"] = {role: c.pop("seconds") for role, c in components.items()}
    report["bytes"] = {f"{c}.{v}": b for (c, v), b in sizes.items()}
    json.dump(info, open(os.path.join(out_dir, "manifest.json"), "w"), indent=2)
    json.dump(report, open(os.path.join(out_dir, "convert_report.json"), "w"), indent=2)
    return report
