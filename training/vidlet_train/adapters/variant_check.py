"""How faithfully each denoiser variant of a model package runs adapters: the adapter's effect
(output with the adapters at scale 1 minus output at scale 0) in each variant, compared with the
fp32 graph's. int8 graphs quantize activations dynamically, so an adapter's effect can drown in
quantization noise; measure before recommending a variant for adapter use.

    cd training && .venv/bin/python -m vidlet_train.adapters.variant_check \\
        --package ../public/models/vidlet-tiny --adapters runs/adapters/pip.safetensors runs/adapters/figure-eight.safetensors

Without --adapters, random rank-4 stand-ins of --magnitude are used (for an untrained package).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .slots import slot_tensors


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", type=Path, default=Path(__file__).resolve().parents[3] / "public" / "models" / "vidlet-tiny")
    ap.add_argument("--adapters", type=Path, nargs="*", default=[], help="one .safetensors per slot, in slot order")
    ap.add_argument("--magnitude", type=float, default=0.1, help="std of the random stand-in weights")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import onnxruntime as ort

    m = json.loads((args.package / "manifest.json").read_text())
    lora, lat, text = m["lora"], m["latent"], m["text"]
    S, D, P, R, C = len(lora["slots"]), lora["depth"], len(lora["targets"]), lora["rank"], lora["width"]
    g = torch.Generator().manual_seed(args.seed)
    if args.adapters:
        files = list(args.adapters) + [None] * (S - len(args.adapters))
        down, up = slot_tensors(files, D, R, C, lora["targets"])
    else:
        down, up = torch.zeros(S, D, P, R, C), torch.zeros(S, D, P, C, R)
        down[..., :4, :] = torch.randn(S, D, P, 4, C, generator=g) * args.magnitude
        up[..., :4] = torch.randn(S, D, P, C, 4, generator=g) * args.magnitude
    b, L = 2, text["maxLength"]
    shape = (b, lat["channels"], lat["frames"], lat["height"], lat["width"])
    feeds = dict(latent=torch.randn(shape, generator=g), motion=torch.randn(shape, generator=g),
                 timestep=torch.tensor([0.3, 0.8]), text=torch.randn(b, L, text["hiddenSize"], generator=g),
                 text_mask=(torch.arange(L) < 9).float().expand(b, L).contiguous(), motion_flag=torch.ones(b))
    names = m["components"]["denoiser"]["inputs"]
    out = m["components"]["denoiser"]["outputs"]["v_latent"]
    base = {names[k]: v.numpy() for k, v in feeds.items()}
    base.update({names["lora_down"]: down.numpy(), names["lora_up"]: up.numpy()})
    effects, outputs = {}, {}
    for variant, spec in m["components"]["denoiser"]["variants"].items():
        sess = ort.InferenceSession(str(args.package / spec["files"][0]["path"]), providers=["CPUExecutionProvider"])
        run = lambda s: sess.run([out], {**base, names["lora_scales"]: np.full((b, S, D), s, np.float32)})[0]  # noqa: E731
        on, off = run(1.0), run(0.0)
        effects[variant], outputs[variant] = on - off, off
    ref = effects["fp32"]
    for variant, eff in effects.items():
        print(json.dumps({
            "variant": variant,
            "adapter_effect_max": float(np.abs(eff).max()),
            "effect_error_vs_fp32_max": float(np.abs(eff - ref).max()),
            "effect_correlation_vs_fp32": float(np.corrcoef(eff.ravel(), ref.ravel())[0, 1]),
            "base_output_error_vs_fp32_max": float(np.abs(outputs[variant] - outputs["fp32"]).max()),
        }))


if __name__ == "__main__":
    main()
