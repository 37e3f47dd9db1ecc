"""What every family's conversion shares: the four components' graph boundaries, the random inputs
they are exported and checked on, and the export → variants → error-check loop.

A family (wan.py, ltx.py) supplies the wrapped modules (each already at Vidlet's boundary,
docs/model-package.md "Component I/O") and the latent grid; everything from here on is the same.
"""
from __future__ import annotations

import os
import sys
import time

import onnx
import torch

from . import onnx_io
from .package import compare, file_entries, variant_entry
from .quant import keep_in_fp32, quantize

# graph role → (file stem, inputs, outputs, inputs whose axis 0 is the batch)
GRAPHS = {
    "textEncoder": ("text_encoder", ["input_ids", "attention_mask"], ["hidden"], ["input_ids", "attention_mask"]),
    "denoiser": ("denoiser", ["latent", "timestep", "text", "text_mask"], ["v_latent"],
                 ["latent", "timestep", "text", "text_mask"]),
    # traced at batch 1: the engine decodes one clip at a time (and Wan's causal frame cache is per clip)
    "vaeDecoder": ("vae_decoder", ["latent"], ["video"], []),
    "previewDecoder": ("preview_decoder", ["latent"], ["preview"], ["latent"]),
}

# Components that get the int8 and q4 variants: the two large ones (the T5-family text encoders and
# the DiTs; the VAE decoders are ~0.1 B parameters). The engine takes fp32 for a component without the
# variant asked for. Per-channel int8 of Wan's VAE convolutions measured 0.029 max abs at the real
# widths (one block) but 0.73 on the tiny fixture's 3-channel convolutions (convert/README.md).
QUANT_ROLES = ("textEncoder", "denoiser")
# fp16 for every graph: the engine picks it (WebGPU with shader-f16) for each component that has it,
# so a package whose components all have it runs in half precision throughout; the VAE decoder's
# activations are the largest tensors of a clip, where half precision saves the most memory
VARIANT_ROLES = {"fp16": tuple(GRAPHS), "int8": QUANT_ROLES, "q4": QUANT_ROLES}


def load_checkpoint(src: str, pipelines: tuple[str, ...], family: str, roles, te_config, tr_class, vae_class):
    """(tokenizer.json path, the text encoder's config, transformer or None, its config, vae, model_index,
    scheduler config) from a diffusers checkpoint folder of one of `pipelines`. The transformer is loaded only
    when `roles` converts it; the text encoder never is (T5-family encoders are 19–23 GB in float32:
    text_layers.py converts them a stage at a time from their files)."""
    import json
    from types import SimpleNamespace

    from .package import ConversionError

    index = json.load(open(os.path.join(src, "model_index.json")))
    if index.get("_class_name") not in pipelines:
        raise ConversionError(f"{src}/model_index.json names {index.get('_class_name')!r}; `{family}` converts "
                              f"{' and '.join(pipelines)} (text-to-video) checkpoints")
    tok = os.path.join(src, "tokenizer", "tokenizer.json")
    if not os.path.exists(tok):
        raise ConversionError(f"{tok} is missing: the engine runs HF tokenizers JSON (save the fast tokenizer's JSON there)")
    te_cfg = te_config.from_pretrained(os.path.join(src, "text_encoder"))
    tr_cfg = SimpleNamespace(**tr_class.load_config(os.path.join(src, "transformer")))
    tr = tr_class.from_pretrained(os.path.join(src, "transformer"), dtype=torch.float32).eval() \
        if "denoiser" in roles else None
    vae = vae_class.from_pretrained(os.path.join(src, "vae"), dtype=torch.float32).eval()
    sched_path = os.path.join(src, "scheduler", "scheduler_config.json")
    sched = json.load(open(sched_path)) if os.path.exists(sched_path) else {}
    return tok, te_cfg, tr, tr_cfg, vae, index, sched


def selected_roles(only) -> list[str]:
    return [r for r in GRAPHS if r in only]


def peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def attention_size(tokens: int, heads: int) -> dict:
    """Video tokens and the bytes of one self-attention's scores [2, heads, N, N] in float32: the exported
    graph computes MatMul–Softmax–MatMul (fused attention was wrong on WebGPU, issue #11), so a step
    needs a buffer this large, which bounds the clip size a browser can run. Warns above 2 GiB."""
    a = {"tokens": tokens, "heads": heads, "scoresBytesBatch2": 2 * heads * tokens * tokens * 4}
    if a["scoresBytesBatch2"] > 2 << 30:
        print(f"vidlet_convert: warning: {tokens} video tokens; one attention's scores for the engine's batch of 2 "
              f"take {a['scoresBytesBatch2'] / 2**30:.1f} GiB, beyond most browsers' GPU buffers. "
              "Choose fewer --frames or a smaller --height/--width.", file=sys.stderr)
    return a


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
    return {
        "textEncoder": {"input_ids": ids, "attention_mask": mask},
        "denoiser": {"latent": torch.randn(2, c, t, h, w, generator=g), "timestep": torch.tensor([0.9, 0.3]),
                     "text": torch.randn(2, max_length, text_dim, generator=g), "text_mask": mask.float()},
        "vaeDecoder": {"latent": torch.randn(1, c, t, h, w, generator=g)},
        "previewDecoder": {"latent": torch.randn(2, c, t, h, w, generator=g)},
    }


def error(path, module, feeds, outputs, variant) -> dict:
    got = onnx_io.run(path, {k: v.numpy() for k, v in feeds.items()}, outputs)
    with torch.no_grad():
        ref = module(*feeds.values())
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    return compare(got, [r.numpy() for r in ref], variant)


def space_shapes() -> dict:
    """torch.export dims for a latent [1, c, t, h, w] whose height and width are dynamic."""
    return {3: torch.export.Dim("h", min=2, max=512), 4: torch.export.Dim("w", min=2, max=512)}


def other_size(latent: torch.Tensor, seed: int) -> torch.Tensor:
    """A latent like `latent` two pixels taller and four wider, to check dynamic spatial axes."""
    b, c, t, h, w = latent.shape
    return torch.randn(b, c, t, h + 2, w + 4, generator=torch.Generator().manual_seed(seed + 2))


def export_components(modules: dict, feeds: dict, roles: list[str], args, presets: dict | None = None
                      ) -> tuple[dict, dict, dict]:
    """Export each role's module, write its variants (fp32, then int8/q4 quantized from it) as sharded
    files in args.out and measure each against PyTorch. Returns (errors, manifest components with a
    `seconds` entry each, bytes per (role, variant)); nothing is gated here (package.check_tolerances).
    `presets` (--presets): {"shapes": {role: torch.export dynamic shapes}, "feeds": {preset name: {role: feeds}}}:
    those roles are exported with those dynamic axes, and every variant of a role is measured again on
    each preset's feeds (errors["ROLE.VARIANT.preset.NAME"]), so each size the manifest offers is checked."""
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    errors, components, sizes = {}, {}, {}
    for role in roles:
        stem, ins, outs, dyn = GRAPHS[role]
        # a module may take optional contract roles too (ltx_graphs.LtxVaeDecoder: `decode_noise`)
        ins = getattr(modules[role], "graph_inputs", ins)
        dyn = getattr(modules[role], "batch_inputs", dyn)  # lora_slots.WithSlots: lora_scales too
        if list(feeds[role]) != ins:
            raise ValueError(f"{role}: example inputs {list(feeds[role])} are not the graph's inputs {ins}")
        t0 = time.time()
        # --vae-tiling (wan): the VAE decoder takes any latent height and width, so the engine can decode tiles
        space = (space_shapes(),) if role == "vaeDecoder" and getattr(args, "vae_tiling", None) else None
        shapes = (presets or {}).get("shapes", {}).get(role, space)
        if shapes is None and hasattr(modules[role], "dynamic_shapes"):  # lora_slots.WithSlots: the slots' rank axis
            shapes = modules[role].dynamic_shapes(onnx_io.batch_dim())
        model = onnx_io.export(modules[role], tuple(feeds[role].values()), ins, outs, dyn, shapes)
        onnx_io.to_raw_data(model)
        variants = {}
        for variant in args.variants:
            if variant != "fp32" and role not in VARIANT_ROLES[variant]:
                continue
            if variant != "fp32":
                model = onnx.load(out(f"{stem}.onnx"))  # the fp32 graph written just before, weights loaded
                onnx_io.to_raw_data(model)
                # fp16 keeps the modules transformers/diffusers keep in float32 (quant.to_fp16)
                if quantize(variant, model, keep_in_fp32(modules[role])) == 0:
                    continue  # nothing large enough to quantize: the variant would be fp32 under another name
            name = f"{stem}.onnx" if variant == "fp32" else f"{stem}.{variant}.onnx"
            files = onnx_io.save_sharded(model, out(name), args.shard_bytes)
            errors[f"{role}.{variant}"] = error(out(name), modules[role], feeds[role], outs, variant)
            variants[variant] = variant_entry(args.out, files, variant)
            sizes[(role, variant)] = sum(f["bytes"] for f in variants[variant]["files"])
        # batch is dynamic where the engine batches: check batch 1 too (the exporter specialises easily)
        if dyn:
            one = {k: (v[:1] if k in dyn else v) for k, v in feeds[role].items()}
            errors[f"{role}.fp32.batch1"] = error(out(f"{stem}.onnx"), modules[role], one, outs, "fp32")
        # the slots' dynamic rank: check rank 1 too, what the engine feeds with no adapter loaded
        if getattr(modules[role], "rank", None) is not None:
            errors[f"{role}.fp32.rank1"] = error(out(f"{stem}.onnx"), modules[role], modules[role].cut_rank(feeds[role], 1),
                                                 outs, "fp32")
        # dynamic height and width: check another size too (the exporter specialises easily)
        if space or (role == "vaeDecoder" and shapes):  # --vae-tiling, or presets of other heights/widths
            other = {name: other_size(x, args.seed) for name, x in feeds[role].items()}
            errors[f"{role}.fp32.otherSize"] = error(out(f"{stem}.onnx"), modules[role], other, outs, "fp32")
        # every preset's size, every variant (a graph exported with dynamic axes may still specialise)
        for name, by_role in (presets or {}).get("feeds", {}).items():
            if role in by_role:
                for variant in variants:
                    path = out(variants[variant]["files"][0]["path"])
                    errors[f"{role}.{variant}.preset.{name}"] = error(path, modules[role], by_role[role], outs, variant)
        components[role] = {"inputs": {n: n for n in ins}, "outputs": {n: n for n in outs}, "variants": variants,
                            "seconds": round(time.time() - t0, 1)}
        del model
    return errors, components, sizes


def write_partial_report(out_dir: str, started: float, components: dict, errors: dict, attention: dict,
                         params: dict, extra: dict | None = None) -> dict:
    """--only: the graphs asked for and convert_report.json (with `extra`'s entries), but no manifest (a
    part is not a package)."""
    import json

    report = {"seconds": time.time() - started, "components": components, "errors": errors,
              "peak_rss_bytes": peak_rss(), "attention": attention,
              "params": params, **(extra or {})}
    json.dump(report, open(os.path.join(out_dir, "convert_report.json"), "w"), indent=2)
    return report


def video_section(args, attention: dict) -> dict:
    """manifest `video`: the default clip size (the default preset's, with --presets) and frame rate, with its
    attention scores' bytes for the engine's batch of 2 (attention_size), the figure each preset carries too: a
    package without presets is judged by it (src/package/attention-fit.ts), and with presets it equals the
    default preset's."""
    return {"width": args.width, "height": args.height, "frames": args.frames, "fps": args.fps,
            "attentionScoresBytes": attention["scoresBytesBatch2"]}


def presets_section(default: str, sizes: list[dict], factors: dict, patch: tuple[int, int, int],
                    vae_any_length: bool = False) -> dict:
    """manifest `presets` (docs/model-package.md "Presets", src/package/presets.ts): the VAE's factors, the
    denoiser's patch, each preset's video size, its attention scores' bytes for the engine's batch of 2 and its
    own schedule shift when it has one; `vaeAnyLength` when the whole-clip VAE graph was exported with a
    dynamic time axis."""
    return {
        "default": default, "factors": factors, "patch": dict(zip(("frames", "height", "width"), patch)),
        "sizes": [{"name": p["name"], "frames": p["frames"], "height": p["height"], "width": p["width"],
                   "attentionScoresBytes": p["attention"]["scoresBytesBatch2"],
                   **({"shift": p["shift"]} if "shift" in p else {})} for p in sizes],
        **({"vaeAnyLength": True} if vae_any_length else {}),
    }
