"""Wan 2.1 T2V (diffusers layout) → Vidlet package.

python -m vidlet_convert wan --from Wan2.1-T2V-1.3B-Diffusers --out pkg/wan21-1.3b
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import onnx
import torch

from . import onnx_io
from .package import ConversionError, check_tolerances, file_entries, model_card, write_tokenizer
from .preview import fit_linear_preview
from .quant import quantize_int8, quantize_q4
from .schedule import describe_schedule, schedule_section

QUANTIZERS = {"int8": quantize_int8, "q4": quantize_q4}
from .wan_graphs import WanDenoiser, WanTextEncoder, WanVaeDecoder, latent_normalisation
from .wan_vae_frames import export_frame_decoder

# graph role → (file stem, inputs, outputs, inputs whose axis 0 is the batch)
GRAPHS = {
    "textEncoder": ("text_encoder", ["input_ids", "attention_mask"], ["hidden"], ["input_ids", "attention_mask"]),
    "denoiser": ("denoiser", ["latent", "timestep", "text", "text_mask"], ["v_latent"],
                 ["latent", "timestep", "text", "text_mask"]),
    # the causal decoder's frame cache is traced for batch 1; the engine decodes one clip at a time
    "vaeDecoder": ("vae_decoder", ["latent"], ["video"], []),
    "previewDecoder": ("preview_decoder", ["latent"], ["preview"], ["latent"]),
}


# Components that get the int8 and q4 variants: the two large ones (umT5-XXL 5.7 B and the DiT 1.4 B
# parameters; the VAE decoder is 0.07 B, 0.29 GB in fp32). The engine takes fp32 for a component
# without the variant asked for. Per-channel int8 of the VAE's 3D convolutions measured 0.029 max abs
# at the real widths (one block) but 0.73 on the tiny fixture's 3-channel convolutions (convert/README.md).
QUANT_ROLES = ("textEncoder", "denoiser")


def load(src: str, roles):
    """(tokenizer.json path, text encoder, its config, transformer, its config, vae, model_index,
    scheduler config) from a diffusers Wan checkpoint folder. The text encoder and the transformer are
    loaded only when `roles` converts them (None otherwise): umT5-XXL alone is 22.7 GB in float32."""
    from types import SimpleNamespace

    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    index = json.load(open(os.path.join(src, "model_index.json")))
    if index.get("_class_name") != "WanPipeline":
        raise ConversionError(f"{src}/model_index.json names {index.get('_class_name')!r}; `wan` converts WanPipeline "
                              "(text-to-video) checkpoints")
    tok = os.path.join(src, "tokenizer", "tokenizer.json")
    if not os.path.exists(tok):
        raise ConversionError(f"{tok} is missing: the engine runs HF tokenizers JSON (save the fast tokenizer's JSON there)")
    # eager attention: with SDPA, the dynamo exporter's decompositions fail on umT5's output reshape once
    # the batch is dynamic ("Cannot view a tensor with shape [b,16,4,8] and strides ..."); eager is the
    # same arithmetic as matmul-softmax-matmul, which is also what runs right on WebGPU (issue #11)
    te_cfg = UMT5Config.from_pretrained(os.path.join(src, "text_encoder"))
    te = UMT5EncoderModel.from_pretrained(os.path.join(src, "text_encoder"), dtype=torch.float32,
                                          attn_implementation="eager").eval() if "textEncoder" in roles else None
    tr_cfg = SimpleNamespace(**WanTransformer3DModel.load_config(os.path.join(src, "transformer")))
    tr = WanTransformer3DModel.from_pretrained(os.path.join(src, "transformer"), dtype=torch.float32).eval() \
        if "denoiser" in roles else None
    vae = AutoencoderKLWan.from_pretrained(os.path.join(src, "vae"), dtype=torch.float32).eval()
    sched_path = os.path.join(src, "scheduler", "scheduler_config.json")
    sched = json.load(open(sched_path)) if os.path.exists(sched_path) else {}
    return tok, te, te_cfg, tr, tr_cfg, vae, index, sched


def latent_grid(vae, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """Wan's VAE: frame 0 alone, then 4 frames per latent frame (so frames = 4k + 1); 8×8 pixels."""
    tf = 2 ** sum(vae.config.temperal_downsample)
    sf = 2 ** len(vae.config.temperal_downsample)
    if (frames - 1) % tf or height % (sf * 2) or width % (sf * 2):
        raise ConversionError(f"frames must be {tf}k+1 and height/width multiples of {sf * 2} "
                              f"(VAE {sf}x, patch 2); got {frames}x{height}x{width}")
    return (frames - 1) // tf + 1, height // sf, width // sf


def space_shapes() -> dict:
    """torch.export dims for a latent [1, c, t, h, w] whose height and width are dynamic."""
    return {3: torch.export.Dim("h", min=2, max=512), 4: torch.export.Dim("w", min=2, max=512)}


def other_size(latent: torch.Tensor, seed: int) -> torch.Tensor:
    """A latent like `latent` two pixels taller and four wider, to check dynamic spatial axes."""
    b, c, t, h, w = latent.shape
    return torch.randn(b, c, t, h + 2, w + 4, generator=torch.Generator().manual_seed(seed + 2))


def peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def attention_size(cfg, grid) -> dict:
    """Video tokens and the bytes of one self-attention's scores [2, heads, N, N] in float32: the exported
    graph computes MatMul–Softmax–MatMul (fused attention was wrong on WebGPU, issue #11), so a step
    needs a buffer this large, which bounds the clip size a browser can run."""
    pt, ph, pw = cfg.patch_size
    t, h, w = grid
    n = (t // pt) * (h // ph) * (w // pw)
    return {"tokens": n, "heads": cfg.num_attention_heads, "scoresBytesBatch2": 2 * cfg.num_attention_heads * n * n * 4}


def example_inputs(vocab: int, channels: int, text_dim: int, grid, max_length: int, seed: int) -> dict:
    """Random inputs per graph for export and for the error check: two prompts, the second padded
    after 3 tokens (so the mask matters), batch 2 for the denoiser (the engine's cond + uncond)."""
    g = torch.Generator().manual_seed(seed)
    t, h, w = grid
    ids = torch.randint(3, vocab, (2, max_length), generator=g)
    mask = torch.ones(2, max_length, dtype=torch.long)
    mask[1, 3:] = 0
    ids[1, 3:] = 0
    c = channels
    text_mask = mask.float()
    return {
        "textEncoder": {"input_ids": ids, "attention_mask": mask},
        "denoiser": {"latent": torch.randn(2, c, t, h, w, generator=g), "timestep": torch.tensor([0.9, 0.3]),
                     "text": torch.randn(2, max_length, text_dim, generator=g), "text_mask": text_mask},
        "vaeDecoder": {"latent": torch.randn(1, c, t, h, w, generator=g)},
        "previewDecoder": {"latent": torch.randn(2, c, t, h, w, generator=g)},
    }


def error(path, module, feeds, outputs, variant) -> dict:
    got = onnx_io.run(path, {k: v.numpy() for k, v in feeds.items()}, outputs)
    with torch.no_grad():
        ref = module(*feeds.values())
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    abs_err = max(float(np.abs(a - b.numpy()).max()) for a, b in zip(got, ref))
    peak = max(float(b.abs().max()) for b in ref)
    return {"variant": variant, "max_abs": abs_err, "peak": peak, "relative": abs_err / max(peak, 1e-12)}


def convert(args) -> dict:
    import diffusers
    import transformers

    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    roles = [r for r in GRAPHS if r in args.only]
    tok, te, te_cfg, tr, tr_cfg, vae, index, sched = load(args.src, roles)
    grid = latent_grid(vae, args.frames, args.height, args.width)
    attention = attention_size(tr_cfg, grid)
    if attention["scoresBytesBatch2"] > 2 << 30:
        print(f"vidlet_convert: warning: {attention['tokens']} video tokens; one attention's scores for the engine's "
              f"batch of 2 take {attention['scoresBytesBatch2'] / 2**30:.1f} GiB, beyond most browsers' GPU buffers. "
              "Choose fewer --frames or a smaller --height/--width.", file=sys.stderr)
    preview, fit = fit_linear_preview(WanVaeDecoder(vae).eval(), vae.config.z_dim, (min(grid[0], 3), 4, 4))
    modules = {"textEncoder": te and WanTextEncoder(te).eval(), "denoiser": tr and WanDenoiser(tr).eval(),
               "vaeDecoder": WanVaeDecoder(vae).eval(), "previewDecoder": preview.eval()}
    feeds = example_inputs(te_cfg.vocab_size, tr_cfg.in_channels, tr_cfg.text_dim, grid, args.max_length, args.seed)
    errors, components, sizes = {}, {}, {}
    for role in roles:
        stem, ins, outs, dyn = GRAPHS[role]
        t0 = time.time()
        # --vae-tiling: the VAE decoder takes any latent height and width, so the engine can decode tiles
        space = (space_shapes(),) if role == "vaeDecoder" and args.vae_tiling else None
        model = onnx_io.export(modules[role], tuple(feeds[role].values()), ins, outs, dyn, space)
        onnx_io.to_raw_data(model)
        variants = {}
        for variant in args.variants:
            if variant != "fp32" and role not in QUANT_ROLES:
                continue
            if variant != "fp32":
                model = onnx.load(out(f"{stem}.onnx"))  # the fp32 graph written just before, weights loaded
                onnx_io.to_raw_data(model)
                if QUANTIZERS[variant](model) == 0:
                    continue  # nothing large enough to quantize: the variant would be fp32 under another name
            name = f"{stem}.onnx" if variant == "fp32" else f"{stem}.{variant}.onnx"
            files = onnx_io.save_sharded(model, out(name), args.shard_bytes)
            errors[f"{role}.{variant}"] = error(out(name), modules[role], feeds[role], outs, variant)
            variants[variant] = {"files": file_entries(args.out, files)}
            sizes[(role, variant)] = sum(f["bytes"] for f in variants[variant]["files"])
        # batch is dynamic where the engine batches: check batch 1 too (the exporter specialises easily)
        if dyn:
            one = {k: (v[:1] if k in dyn else v) for k, v in feeds[role].items()}
            errors[f"{role}.fp32.batch1"] = error(out(f"{stem}.onnx"), modules[role], one, outs, "fp32")
        # dynamic height and width: check another size too (the exporter specialises easily)
        if space:
            other = {"latent": other_size(feeds[role]["latent"], args.seed)}
            errors[f"{role}.fp32.otherSize"] = error(out(f"{stem}.onnx"), modules[role], other, outs, "fp32")
        components[role] = {"inputs": {n: n for n in ins}, "outputs": {n: n for n in outs}, "variants": variants,
                            "seconds": round(time.time() - t0, 1)}
        del model
    # the VAE decoder one latent frame at a time (proposal: convert/README.md, contract item 7)
    frames = export_frame_decoder(vae, grid, args.out, args.shard_bytes, args.seed, errors, bool(args.vae_tiling)) \
        if "vaeDecoder" in roles else None
    check_tolerances(errors)  # before anything the engine reads is written
    if len(roles) < len(GRAPHS):  # --only: graphs and report, but no manifest (not a whole package)
        report = {"seconds": time.time() - started, "components": components, "errors": errors,
                  "peak_rss_bytes": peak_rss(), "attention": attention,
                  "params": {r: sum(p.numel() for p in modules[r].parameters()) for r in roles}}
        json.dump(report, open(out("convert_report.json"), "w"), indent=2)
        return report
    write_tokenizer(tok, out("tokenizer.json"), pad_id=te.config.pad_token_id, pad_token="<pad>")
    shift, scale = latent_normalisation(vae)
    info = describe(args, index, sched, grid, shift, scale, components, te.config.d_model)
    seconds = time.time() - started
    v, lt = info["video"], info["latent"]
    card = {**info, "family": "wan", "video": f"{v['width']}x{v['height']}, {v['frames']} frames at {v['fps']} fps",
            "latent": f"{lt['channels']}x{lt['frames']}x{lt['height']}x{lt['width']} (per-channel shift/scale in the manifest)",
            "source": os.path.abspath(args.src), "pipeline": index["_class_name"],
            "errors": errors, "sizes": sizes, "opset": onnx_io.OPSET, "seconds": seconds, "previewFit": fit,
            "maxLength": args.max_length, "schedule": describe_schedule(info["schedule"]),
            "publisherScheduler": sched.get("_class_name", "unknown"),
            "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                         "transformers": transformers.__version__, "onnx": onnx.__version__}}
    open(out("MODEL_CARD.md"), "w").write(model_card(card))
    component_seconds = {role: c.pop("seconds") for role, c in components.items()}
    if frames:
        info["vaeDecoderFrames"] = frames  # src/package/vae-decode.ts: the engine decodes frame by frame with it
    if args.vae_tiling:
        info["vaeTiling"] = {"tile": args.vae_tiling[0], "overlap": args.vae_tiling[1]}
    json.dump(info, open(out("manifest.json"), "w"), indent=2)
    report = {"seconds": seconds, "component_seconds": component_seconds, "peak_rss_bytes": peak_rss(),
              "attention": attention, "errors": errors, "preview_fit": fit,
              "bytes": {f"{c}.{v}": b for (c, v), b in sizes.items()},
              "params": {"textEncoder": sum(p.numel() for p in te.parameters()),
                         "denoiser": sum(p.numel() for p in tr.parameters()),
                         "vaeDecoder": sum(p.numel() for p in vae.decoder.parameters())}}
    json.dump(report, open(out("convert_report.json"), "w"), indent=2)
    return report


def describe(args, index, sched, grid, shift, scale, components, hidden: int) -> dict:
    """manifest.json. No `motion` (Wan has no VideoJAM head) and no `lora` (no slots in the graph):
    the contract additions this needs are written in convert/README.md."""
    t, h, w = grid
    return {
        "format": "vidlet-model", "formatVersion": 1, "name": args.name, "displayName": args.display_name,
        "description": f"Wan 2.1 text-to-video converted from the diffusers checkpoint ({index['_class_name']}).",
        "license": args.license, "modelCard": "MODEL_CARD.md",
        "video": {"width": args.width, "height": args.height, "frames": args.frames, "fps": args.fps},
        "latent": {"channels": len(shift), "frames": t, "height": h, "width": w, "scale": scale, "shift": shift},
        "text": {"tokenizer": "tokenizer.json", "maxLength": args.max_length,
                 "hiddenSize": hidden},
        # diffusers' grid with the publisher's shift, or a distilled checkpoint's own list (schedule.py)
        "schedule": schedule_section(publisher_shift=sched.get("flow_shift", sched.get("shift", 3.0)), steps=args.steps,
                                     guidance=args.guidance, sampler=args.sampler, sigmas=args.sigmas),
        "components": components,
        "adapters": [],
    }

