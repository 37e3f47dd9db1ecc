"""Export the model package (docs/model-package.md): ONNX graphs in fp32 and int8, each checked
against PyTorch in onnxruntime, plus manifest.json with sizes and sha256, tokenizer and vocabulary.

python -m vidlet_train.export --vae runs/vae/final.pt --dit runs/dit/final.pt --out ../public/models/vidlet-tiny
(--vae random / --dit random export randomly initialised networks of the final architecture, for
wiring the engine before training ends)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import warnings

import numpy as np
import onnxruntime as ort
import torch

from .quant import quantize_conv_weights, quantize_text_encoder, quantize_weights_only
from .dit import DiTConfig, VideoDiT
from .text_encoder import MAX_LENGTH, MiniLM, package_dir
from .vae import DiffusionLatentDecoder, DiffusionLatentEncoder, VAEConfig, build_vae, load_vae
from .world.captions import training_vocabulary

OPSET = 17
# Largest accepted max |onnxruntime - PyTorch| per graph, on random inputs: fp32 is exact up to
# kernel order; int8 weights cost more, the denoiser most (velocities of order 1). An export beyond
# these fails before a manifest is written.
TOLERANCE = {"fp32": 1e-3, "textEncoder.int8": 0.15, "denoiser.int8": 0.3, "vaeDecoder.int8": 0.1,
             "previewDecoder.int8": 0.1, "vaeEncoder.int8": 0.1, "denoiser.lora_zero_scale_vs_empty_slots": 0.0}


class ExportError(RuntimeError):
    pass


def check_tolerances(errors: dict[str, float]) -> None:
    over = {k: v for k, v in errors.items() if not v <= TOLERANCE.get(k, TOLERANCE["fp32"])}
    if over:
        raise ExportError("exported graphs differ from PyTorch beyond tolerance: " + ", ".join(
            f"{k} {v:.4g} > {TOLERANCE.get(k, TOLERANCE['fp32'])}" for k, v in over.items()))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_graph(module, args, path, input_names, output_names, dynamic):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False, do_constant_folding=True)


def check_graph(path, module, feeds: dict, output_names) -> float:
    """Max abs error between onnxruntime and PyTorch on the given inputs."""
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(output_names, {k: v.numpy() for k, v in feeds.items()})
    with torch.no_grad():
        ref = module(*feeds.values())
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    return float(max(np.abs(g - r.numpy()).max() for g, r in zip(got, ref)))


def per_channel(t: torch.Tensor) -> float | list[float]:
    """A scaling buffer as the manifest writes it: one number, or one per channel."""
    return float(t) if t.numel() == 1 else [float(x) for x in t.flatten()]


def vocabulary() -> list[str]:
    """vocabulary.json: every word of the training captions, template and rich (walked from the word
    lists in world/catalog.py); the page reports a prompt's other words as unknown to the model."""
    return training_vocabulary()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/vae/final.pt")
    ap.add_argument("--dit", default="runs/dit/final.pt")
    ap.add_argument("--out", default="../public/models/vidlet-tiny")
    ap.add_argument("--skip-text-encoder", action="store_true", help="keep the existing text encoder files")
    ap.add_argument("--seed", type=int, default=0)
    # guidance convention (docs/model-package.md, training/vidlet_train/guidance.py): the CFG scale w, 1 = off;
    # Inner-Guidance uses w1 = w - 1 with the manifest's defaultInnerGuidance as w2
    ap.add_argument("--guidance", type=float, default=5.0,
                    help="manifest schedule.defaultGuidance: the CFG scale w (1 = off; Inner-Guidance uses w1 = w - 1)")
    ap.add_argument("--inner-guidance", type=float, default=3.0,
                    help="manifest schedule.defaultInnerGuidance: VideoJAM w2 (0 = plain CFG)")
    ap.add_argument("--steps", type=int, default=20, help="manifest schedule.defaultSteps")
    ap.add_argument("--shift", type=float, default=1.0,
                    help="manifest schedule.shift: t' = s t / (1 + (s - 1) t), s > 1 spends more steps at high noise")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    errors = {}

    if args.vae == "random":  # untrained VAE of the final architecture, for wiring the engine
        vae, prev = build_vae(VAEConfig().to_dict())
        vae, prev = vae.eval(), prev.eval()
    else:
        vae, prev = load_vae(args.vae, with_preview=True)
    if args.dit == "random":
        cfg = DiTConfig(latent_channels=vae.zc)
        dit = VideoDiT(cfg)
        for p in dit.parameters():  # make a random net produce non-trivial output
            torch.nn.init.normal_(p, std=0.02)
    else:
        ck = torch.load(args.dit)
        cfg = DiTConfig(**ck["cfg"])
        dit = VideoDiT(cfg)
        dit.load_state_dict(ck["ema"])
    dit.eval()
    zc, T, H, W = cfg.latent_channels, cfg.frames, cfg.height, cfg.width
    B, L, S, D, P, R, C = 3, MAX_LENGTH, cfg.lora_slots, cfg.depth, cfg.lora_targets, cfg.lora_rank, cfg.dim

    comps = {}

    # text encoder (frozen, pretrained)
    te_in, te_out = ["input_ids", "attention_mask"], ["hidden"]
    if not args.skip_text_encoder:
        te = MiniLM.pretrained()
        ids = torch.randint(1000, 5000, (2, L)); mask = torch.ones(2, L, dtype=torch.long); mask[1, 10:] = 0
        export_graph(te, (ids, mask), out("text_encoder.onnx"), te_in, te_out,
                     {"input_ids": {0: "b"}, "attention_mask": {0: "b"}, "hidden": {0: "b"}})
        errors["textEncoder"] = check_graph(out("text_encoder.onnx"), te, {"input_ids": ids, "attention_mask": mask}, te_out)
        # weight-only int8 (quant.py): dynamic MatMulInteger int8 was 22-47% off on MiniLM's token states
        quantize_text_encoder(out("text_encoder.onnx"), out("text_encoder.int8.onnx"),
                              os.path.join(package_dir(), "tokenizer.json"), L)
        errors["textEncoder.int8"] = check_graph(out("text_encoder.int8.onnx"), te, {"input_ids": ids, "attention_mask": mask}, te_out)
    else:  # frozen and already exported: check the shipped files against PyTorch again
        te = MiniLM.pretrained()
        ids = torch.randint(1000, 5000, (2, L)); mask = torch.ones(2, L, dtype=torch.long); mask[1, 10:] = 0
        for f, key in (("text_encoder.onnx", "textEncoder"), ("text_encoder.int8.onnx", "textEncoder.int8")):
            if os.path.exists(out(f)):
                errors[key] = check_graph(out(f), te, {"input_ids": ids, "attention_mask": mask}, te_out)
    comps["textEncoder"] = ("text_encoder", te_in, te_out)

    # denoiser
    dn_in = ["latent", "motion", "timestep", "text", "text_mask", "motion_flag", "lora_scales", "lora_down", "lora_up"]
    dn_out = ["v_latent", "v_motion"]
    feeds = dict(latent=torch.randn(B, zc, T, H, W), motion=torch.randn(B, zc, T, H, W), timestep=torch.rand(B),
                 text=torch.randn(B, L, 384), text_mask=torch.ones(B, L), motion_flag=torch.tensor([1.0, 1.0, 0.0]),
                 lora_scales=torch.rand(B, S, D), lora_down=torch.randn(S, D, P, R, C) * 0.1,
                 lora_up=torch.randn(S, D, P, C, R) * 0.1)
    feeds["text_mask"][1, 20:] = 0
    dyn = {k: {0: "b"} for k in ["latent", "motion", "timestep", "text", "text_mask", "motion_flag", "lora_scales", *dn_out]}
    export_graph(dit, tuple(feeds.values()), out("denoiser.onnx"), dn_in, dn_out, dyn)
    errors["denoiser"] = check_graph(out("denoiser.onnx"), dit, feeds, dn_out)
    # weight-only int8 (DequantizeLinear -> MatMul): dynamic MatMulInteger also rounds the activations,
    # and on the 4-channel DiT that put the velocities 0.48 off (weight-only: 0.10)
    quantize_weights_only(out("denoiser.onnx"), out("denoiser.int8.onnx"))
    errors["denoiser.int8"] = check_graph(out("denoiser.int8.onnx"), dit, feeds, dn_out)
    # batch is dynamic (the engine batches 2 or 3 guidance passes): check batch 2 as well
    feeds2 = {k: (v[:2] if k not in ("lora_down", "lora_up") else v) for k, v in feeds.items()}
    errors["denoiser.batch2"] = check_graph(out("denoiser.onnx"), dit, feeds2, dn_out)
    # LoRA slots with all scales 0 must give exactly the base model's output, whatever the slots hold
    sess = ort.InferenceSession(out("denoiser.onnx"), providers=["CPUExecutionProvider"])
    zero = {**{k: v.numpy() for k, v in feeds.items()}, "lora_scales": np.zeros((B, S, D), np.float32)}
    empty = {**zero, "lora_down": np.zeros((S, D, P, R, C), np.float32), "lora_up": np.zeros((S, D, P, C, R), np.float32)}
    a, b = sess.run(dn_out, zero), sess.run(dn_out, empty)
    errors["denoiser.lora_zero_scale_vs_empty_slots"] = float(max(np.abs(x - y).max() for x, y in zip(a, b)))
    comps["denoiser"] = ("denoiser", dn_in, dn_out)

    # decoders and encoder (diffusion-space latents at the boundary)
    z = torch.randn(2, zc, T, H, W)
    for name, module, io in [
        ("vaeDecoder", DiffusionLatentDecoder(vae), (["latent"], ["video"])),
        ("previewDecoder", DiffusionLatentDecoder(vae, prev), (["latent"], ["preview"])),
    ]:
        fname = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        export_graph(module, (z,), out(f"{fname}.onnx"), io[0], io[1], {io[0][0]: {0: "b"}, io[1][0]: {0: "b"}})
        errors[name] = check_graph(out(f"{fname}.onnx"), module, {"latent": z}, io[1])
        quantize_conv_weights(out(f"{fname}.onnx"), out(f"{fname}.int8.onnx"))
        errors[name + ".int8"] = check_graph(out(f"{fname}.int8.onnx"), module, {"latent": z}, io[1])
        comps[name] = (fname, *io)
    enc = DiffusionLatentEncoder(vae)
    vid = torch.rand(1, 3, 16, 128, 128) * 2 - 1
    export_graph(enc, (vid,), out("vae_encoder.onnx"), ["video"], ["latent"], {"video": {0: "b"}, "latent": {0: "b"}})
    errors["vaeEncoder"] = check_graph(out("vae_encoder.onnx"), enc, {"video": vid}, ["latent"])
    quantize_conv_weights(out("vae_encoder.onnx"), out("vae_encoder.int8.onnx"))
    errors["vaeEncoder.int8"] = check_graph(out("vae_encoder.int8.onnx"), enc, {"video": vid}, ["latent"])
    comps["vaeEncoder"] = ("vae_encoder", ["video"], ["latent"])

    check_tolerances(errors)
    shutil.copy(os.path.join(package_dir(), "tokenizer.json"), out("tokenizer.json"))
    json.dump(vocabulary(), open(out("vocabulary.json"), "w"))

    def entry(path):
        return {"path": path, "bytes": os.path.getsize(out(path)), "sha256": sha256(out(path))}

    components = {}
    for role, (fname, ins, outs) in comps.items():
        variants = {"fp32": {"files": [entry(f"{fname}.onnx")]}}
        if os.path.exists(out(f"{fname}.int8.onnx")):
            variants["int8"] = {"files": [entry(f"{fname}.int8.onnx")]}
        components[role] = {"inputs": {n: n for n in ins}, "outputs": {n: n for n in outs}, "variants": variants}
    manifest = {
        "format": "vidlet-model", "formatVersion": 1, "name": "vidlet-tiny",
        "displayName": "Vidlet tiny (embedded)",
        "description": "A small joint appearance-motion video DiT trained by Vidlet's own code on a procedural world "
                       "of promo clips (shapes, icons, colours, backgrounds, motions). 16 frames, 128x128, 8 fps.",
        "license": "Apache-2.0 (text encoder: all-MiniLM-L6-v2, Apache-2.0)",
        "modelCard": "MODEL_CARD.md",
        "video": {"width": 128, "height": 128, "frames": 16, "fps": 8},
        "latent": {"channels": zc, "frames": T, "height": H, "width": W,
                   "scale": per_channel(vae.scale), "shift": per_channel(vae.shift)},
        "motion": {"channels": zc},
        "text": {"tokenizer": "tokenizer.json", "maxLength": L, "hiddenSize": 384, "vocabulary": "vocabulary.json"},
        "schedule": {"type": "flow-matching", "shift": args.shift, "defaultSteps": args.steps, "defaultGuidance": args.guidance,
                     "defaultInnerGuidance": args.inner_guidance, "defaultSampler": "euler"},
        "components": components,
        "lora": {"slots": ["identity", "motion"], "depth": D, "targets": ["attn.q", "attn.k", "attn.v", "attn.o"],
                 "rank": R, "width": C},
        "adapters": [],
    }
    if os.path.exists(out("manifest.json")):  # keep adapters / blender written by the adapter exporter
        old = json.load(open(out("manifest.json")))
        for k in ("adapters", "blender"):
            if old.get(k):
                manifest[k] = old[k]
    json.dump(manifest, open(out("manifest.json"), "w"), indent=2)
    report = {"max_abs_error_vs_pytorch": errors, "dit": cfg.to_dict(),
              "vae": vae.cfg.to_dict() if hasattr(vae, "cfg") else None,
              "params": {"denoiser": sum(p.numel() for p in dit.parameters()),
                         "vae_decoder": sum(p.numel() for p in vae.decoder.parameters()),
                         "vae_encoder": sum(p.numel() for p in vae.encoder.parameters()),
                         "preview_decoder": sum(p.numel() for p in prev.parameters())},
              "bytes": {f["path"]: f["bytes"] for c in components.values() for v in c["variants"].values() for f in v["files"]}}
    json.dump(report, open(out("export_report.json"), "w"), indent=2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
