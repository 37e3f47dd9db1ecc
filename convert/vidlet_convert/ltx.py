"""LTX-Video 2B (diffusers layout, LTXPipeline or LTXConditionPipeline) → Vidlet package.

python -m vidlet_convert ltx --from LTX-Video --out pkg/ltx-video-2b

LTXConditionPipeline checkpoints (0.9.7 and later, the distilled ones among them) differ in three things
the package must carry, each taken from that pipeline's own code: T5 is run with the attention mask, the
transformer's RoPE uses the pipeline's video coordinates (ltx_graphs.condition_video_coords), and the
default grid is LTX-Video's linear-quadratic one (ltx_schedule.py). Text-to-video only: the pipeline's
image and video conditions are not converted.
"""
from __future__ import annotations

import os
import sys
import time

import torch

from . import lora_merge, lora_slots, onnx_io, transformer_file
from .components import (GRAPHS, attention_size, example_inputs, export_components, load_checkpoint, peak_rss,
                         presets_section, selected_roles, video_section, write_partial_report)
from .ltx_graphs import LtxDenoiser, LtxVaeDecoder, latent_normalisation, pipeline_noise_scale
from .ltx_schedule import (condition_grid_difference, condition_schedule_problem, grid_difference, publisher_shift,
                           publisher_terminal)
from .package import ConversionError, check_tolerances, write_package, write_tokenizer
from .preview import fit_linear_preview
from .schedule import describe_schedule, schedule_section
from .text_layers import T5, T5_MASKED, add_text_encoder

CONDITION = "LTXConditionPipeline"


def load(src: str, roles):
    """(tokenizer.json path, the text encoder's config, transformer or None, its config, vae,
    model_index, scheduler config) from a diffusers LTX-Video checkpoint folder. The transformer is loaded
    only when `roles` converts it; the text encoder never is: T5-XXL alone is 19 GB in float32, so it is
    converted a stage at a time from its files (text_layers.py)."""
    from diffusers import AutoencoderKLLTXVideo, LTXVideoTransformer3DModel
    from transformers import T5Config

    return load_checkpoint(src, ("LTXPipeline", CONDITION), "ltx", roles, T5Config, LTXVideoTransformer3DModel,
                           AutoencoderKLLTXVideo)


def latent_grid(vae, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """LTX's VAE: frame 0 alone, then 8 frames per latent frame (frames = 8k + 1); 32×32 pixels."""
    tf, sf = vae.temporal_compression_ratio, vae.spatial_compression_ratio
    if (frames - 1) % tf or height % sf or width % sf:
        raise ConversionError(f"frames must be {tf}k+1 and height/width multiples of {sf} (the VAE's factors); "
                              f"got {frames}x{height}x{width}")
    return (frames - 1) // tf + 1, height // sf, width // sf


def plan_presets(args, vae, tr_cfg, grid, decoder, sched, condition: bool, vocab: int) -> dict | None:
    """--presets: each preset's latent grid and attention size, the dynamic shapes the denoiser, preview and
    VAE decoder are exported with, and the feeds each is checked on at every other preset's size
    (components.export_components). The VAE decoder decodes the whole clip in one call at any length (it is
    not causal over time, and the engine has no frame pair for it), so its time axis is dynamic too when the
    presets' lengths differ. LTXPipeline's shift depends on the clip's token count when its scheduler shifts
    dynamically: each preset then carries its own (the manifest's presets.sizes[].shift), each checked against
    the scheduler's own grid at that size. None without --presets."""
    if not args.presets:
        return None
    p, pt = tr_cfg.patch_size, tr_cfg.patch_size_t
    sizes = []
    for preset in args.presets:
        g = latent_grid(vae, preset["frames"], preset["height"], preset["width"])
        if min(g) < 2:  # torch.export specialises an axis of 1
            raise ConversionError(f"preset {preset['name']}: latent {g} (frames x height x width) has an axis of 1; a preset "
                                  f"needs at least {vae.temporal_compression_ratio + 1} frames and "
                                  f"{2 * vae.spatial_compression_ratio} pixels a side")
        tokens = (g[0] // pt) * (g[1] // p) * (g[2] // p)
        entry = {**preset, "grid": g, "attention": attention_size(tokens, tr_cfg.num_attention_heads)}
        if not condition and not args.sigmas and sched.get("use_dynamic_shifting", False):
            entry["shift"] = publisher_shift(sched, tokens)
            gap = grid_difference(sched, tokens, args.steps)
            if gap > 1e-5:
                raise ConversionError(f"preset {preset['name']}: the package's noise levels differ from LTXPipeline's "
                                      f"by up to {gap:.3g}; ltx_schedule.py does not express this scheduler config")
        sizes.append(entry)
    dim = torch.export.Dim
    batch = onnx_io.batch_dim()
    axes = {2: dim("t", min=2, max=1024), 3: dim("h", min=2, max=1024), 4: dim("w", min=2, max=1024)}
    others = {s["name"]: s["grid"] for s in sizes if s["name"] != args.default_preset}
    any_length = any(g[0] != grid[0] for g in others.values())
    shapes = {"denoiser": ({0: batch, **axes}, {0: batch}, {0: batch}, {0: batch}),
              "previewDecoder": ({0: batch, **{a: dim(f"p{a}", min=2, max=4096) for a in (2, 3, 4)}},)}
    if others:  # the decoder's latent and decode noise share their shape
        vae_axes = {a: axes[a] for a in ((2, 3, 4) if any_length else (3, 4))}
        shapes["vaeDecoder"] = tuple(vae_axes for _ in decoder.graph_inputs)
    feeds = {}
    for k, (name, g) in enumerate(others.items()):
        f = example_inputs(vocab, tr_cfg.in_channels, tr_cfg.caption_channels, g, args.max_length, args.seed + 10 + k)
        if decoder.takes_noise:
            f["vaeDecoder"]["decode_noise"] = torch.randn(f["vaeDecoder"]["latent"].shape,
                                                          generator=torch.Generator().manual_seed(args.seed + 20 + k))
        feeds[name] = {r: f[r] for r in ("denoiser", "previewDecoder", "vaeDecoder")}
    return {"sizes": sizes, "shapes": shapes, "feeds": feeds, "anyLength": any_length}


def convert(args) -> dict:
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    roles = selected_roles(args.only)
    tok, te_cfg, tr, tr_cfg, vae, index, sched = load(args.src, roles)
    condition = index["_class_name"] == CONDITION
    problem = condition and condition_schedule_problem(sched)
    if problem:  # before an hour of export
        raise ConversionError(f"{args.src}: {problem}")
    from diffusers import LTXConditionPipeline, LTXPipeline

    weights = transformer_file.load_into(tr, "ltx", args.transformer) if tr and args.transformer else None
    merged = lora_merge.merge(tr, LTXConditionPipeline if condition else LTXPipeline, args.merge_lora) if tr else []
    grid = latent_grid(vae, args.frames, args.height, args.width)
    t, h, w = grid
    tokens = (t // tr_cfg.patch_size_t) * (h // tr_cfg.patch_size) * (w // tr_cfg.patch_size)
    attention = attention_size(tokens, tr_cfg.num_attention_heads)
    # the package's default grid against the scheduler's own at the default step count: float error only, or the
    # conversion would be wrong (with --sigmas the list is exact); checked before an hour of export
    gap = 0.0 if args.sigmas else (condition_grid_difference(sched, args.steps) if condition
                                   else grid_difference(sched, tokens, args.steps))
    if gap > 1e-5:
        raise ConversionError(f"the package's noise levels at {args.steps} steps differ from {index['_class_name']}'s by up "
                              f"to {gap:.3g}; ltx_schedule.py does not express this scheduler config")
    try:
        decoder = LtxVaeDecoder(vae, args.decode_timestep,
                                pipeline_noise_scale(vae, args.decode_timestep, args.decode_noise_scale)).eval()
    except ValueError as e:
        raise ConversionError(f"--decode-noise-scale: {e}") from None
    if decoder.noise_dropped:
        print(f"vidlet_convert: warning: the VAE decoder injects random noise in {decoder.noise_dropped} places; the "
              "package decodes without it (it would be one graph input per block and resolution; the pipeline's own "
              "draw from torch's global generator is not reproducible either)", file=sys.stderr)
    channels = vae.config.latent_channels
    # 128 channels + bias: 16 decodes of 3x4x4 latents give 768 rows for the 129 unknowns per colour
    preview, fit = fit_linear_preview(decoder, channels, (min(t, 3), 4, 4), samples=16)
    denoiser = tr and LtxDenoiser(tr, args.fps, vae.temporal_compression_ratio, vae.spatial_compression_ratio,
                                  sched.get("num_train_timesteps", 1000), condition).eval()
    modules = {"denoiser": denoiser, "vaeDecoder": decoder, "previewDecoder": preview.eval()}
    feeds = example_inputs(te_cfg.vocab_size, tr_cfg.in_channels, tr_cfg.caption_channels, grid, args.max_length, args.seed)
    if decoder.takes_noise:  # the graph's second input, the contract's optional vaeDecoder role
        feeds["vaeDecoder"]["decode_noise"] = torch.randn(feeds["vaeDecoder"]["latent"].shape,
                                                          generator=torch.Generator().manual_seed(args.seed + 3))
    presets = plan_presets(args, vae, tr_cfg, grid, decoder, sched, condition, te_cfg.vocab_size)
    if tr:
        modules["denoiser"], lora = lora_slots.attach(args, tr, denoiser, "transformer_blocks", {},
                                                      lora_slots.LTX_FEED_FORWARD, feeds, presets)
    errors, components, sizes = export_components(modules, feeds, [r for r in roles if r != "textEncoder"], args,
                                                  presets)
    params = {r: sum(p.numel() for p in modules[r].parameters()) for r in components}
    text_report = add_text_encoder(args, feeds["textEncoder"], T5_MASKED if condition else T5, errors, components, sizes,
                                   params) \
        if "textEncoder" in roles else {}
    check_tolerances(errors, args.out)  # before anything the engine reads is written
    by_preset = {"presets": {p["name"]: {"grid": list(p["grid"]), "attention": p["attention"]} for p in presets["sizes"]}} \
        if presets else {}
    if len(roles) < len(GRAPHS):  # --only: graphs and report, but no manifest (not a whole package)
        return write_partial_report(args.out, started, components, errors, attention, params, {**text_report, **by_preset})
    write_tokenizer(tok, out("tokenizer.json"), pad_id=te_cfg.pad_token_id, pad_token="<pad>")
    shift, scale = latent_normalisation(vae)
    info = describe(args, index, sched, grid, tokens, attention, shift, scale, components, te_cfg.d_model, condition)
    if tr and lora:
        info["lora"] = lora
    if presets:
        factors = {"time": vae.temporal_compression_ratio, "space": vae.spatial_compression_ratio, "causal": True}
        info["presets"] = presets_section(args.default_preset, presets["sizes"], factors,
                                          (tr_cfg.patch_size_t, tr_cfg.patch_size, tr_cfg.patch_size), presets["anyLength"])
    card = {"family": "ltx", "source": os.path.abspath(args.src), "pipeline": index["_class_name"], "previewFit": fit,
            **({"transformerFile": transformer_file.describe(weights)} if weights else {}),
            "maxLength": args.max_length, "schedule": describe_schedule(info["schedule"]),
            "publisherScheduler": sched.get("_class_name", "unknown"),
            **({"mergedLoras": lora_merge.describe(merged)} if merged else {})}
    report = {"seconds": time.time() - started, "peak_rss_bytes": peak_rss(), "attention": attention, "errors": errors,
              "preview_fit": fit, **({"transformer_file": weights} if weights else {}), "schedule_vs_pipeline_max_abs": gap, **({"merged_loras": merged} if merged else {}),
              "decode": {"timestep": decoder.decode_timestep, "noise_scale": decoder.noise_scale,
                         "injected_noise_dropped": decoder.noise_dropped},
              **text_report, **by_preset, "params": {**params, "vaeDecoder": sum(p.numel() for p in vae.decoder.parameters())}}
    return write_package(args.out, info, card, components, sizes, report)


def describe(args, index, sched, grid, tokens, attention: dict, shift, scale, components, hidden: int,
             condition: bool = False) -> dict:
    """manifest.json: `video` with its attention figure (attention_size at the default size); no `motion`, no
    `lora` (as for Wan, convert/README.md); the schedule is LTXPipeline's linear grid with its resolution-dependent
    shift for this clip and the scheduler's shift_terminal, or LTXConditionPipeline's linear-quadratic grid,
    unshifted (ltx_schedule.py)."""
    grid_kind = {"publisher_shift": 1.0, "spacing": "linear-quadratic", "shift_terminal": None} if condition else \
        {"publisher_shift": publisher_shift(sched, tokens), "spacing": "vidlet", "shift_terminal": publisher_terminal(sched)}
    t, h, w = grid
    return {
        "format": "vidlet-model", "formatVersion": 1, "name": args.name, "displayName": args.display_name,
        "description": f"LTX-Video text-to-video converted from the diffusers checkpoint ({index['_class_name']}).",
        "license": args.license, "modelCard": "MODEL_CARD.md",
        "video": video_section(args, attention),
        "latent": {"channels": len(shift), "frames": t, "height": h, "width": w, "scale": scale, "shift": shift},
        "text": {"tokenizer": "tokenizer.json", "maxLength": args.max_length, "hiddenSize": hidden},
        "schedule": schedule_section(steps=args.steps, guidance=args.guidance, sampler=args.sampler or "euler",
                                     sigmas=args.sigmas, **grid_kind),
        "components": components,
        "adapters": [],
    }
