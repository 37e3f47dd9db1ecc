"""Export the model package (docs/model-package.md): ONNX graphs in fp32 and int8, each checked
against PyTorch in onnxruntime, plus manifest.json with sizes and sha256, tokenizer, vocabulary and
prompt colour lexicon (world/prompt_lexicon.py).

python -m vidlet_train.export --vae runs/vae/final.pt --dit runs/dit/final.pt --out ../public/models/vidlet-tiny
(--vae random / --dit random export randomly initialised networks of the final architecture, for
wiring the engine before training ends)

A scene plan package (issue #10) either has a scene-trained DiT as its only denoiser (--scenes) or
keeps --dit as the plain single-scene denoiser and adds a scene-trained one as the sceneDenoiser
(--scene-dit runs/dit-scenes/final.pt; graph_io.denoiser_for says which graph makes which clip).
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

from . import graph_io
from .quant import quantize_conv_weights, quantize_text_encoder, quantize_weights_only
from .dit import DiTConfig, VideoDiT, without_training_heads
from .text_encoder import MAX_LENGTH, MiniLM, package_dir
from .vae import DiffusionLatentDecoder, DiffusionLatentEncoder, VAEConfig, build_vae, load_vae
from .world import prompt_contrast, prompt_lexicon
from .world.captions import training_vocabulary

OPSET = 17
# Largest accepted max |onnxruntime - PyTorch| per graph, on random inputs: fp32 is exact up to
# kernel order; int8 weights cost more, the denoiser most (velocities of order 1). An export beyond
# these fails before a manifest is written.
DENOISER_TOLERANCE = {"int8": 0.3, "int8.scenes2": 0.3, "int8.scenes3": 0.3, "lora_zero_scale_vs_empty_slots": 0.0}
TOLERANCE = {"fp32": 1e-3, "textEncoder.int8": 0.15, "vaeDecoder.int8": 0.1, "vaeDecoder.int8.t3x": 0.1,
             "previewDecoder.int8.t3x": 0.1, "previewDecoder.int8": 0.1, "vaeEncoder.int8": 0.1,
             **{f"{role}.{k}": v for role in ("denoiser", graph_io.SCENE_DENOISER) for k, v in DENOISER_TOLERANCE.items()}}


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


def file_stem(role: str) -> str:
    """A component's graph file name without extension: previewDecoder -> preview_decoder."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", role).lower()


def per_channel(t: torch.Tensor) -> float | list[float]:
    """A scaling buffer as the manifest writes it: one number, or one per channel."""
    return float(t) if t.numel() == 1 else [float(x) for x in t.flatten()]


def vocabulary() -> list[str]:
    """vocabulary.json: every word of the training captions, template and rich (walked from the word
    lists in world/catalog.py); the page reports a prompt's other words as unknown to the model."""
    return training_vocabulary()


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/vae/final.pt")
    ap.add_argument("--dit", default="runs/dit/final.pt")
    ap.add_argument("--out", default="../public/models/vidlet-tiny")
    ap.add_argument("--skip-text-encoder", action="store_true", help="keep the existing text encoder files")
    ap.add_argument("--keep-vocabulary", action="store_true",
                    help="keep the package's vocabulary.json: re-exporting a DiT trained on older caption word lists "
                         "must not claim the words added since")
    ap.add_argument("--scenes", action="store_true",
                    help="a scene-trained DiT (train_scenes): declare per-scene conditioning in the manifest and give the "
                         "denoiser its text_frame_mask input, with dynamic clip and text lengths (issue #10)")
    ap.add_argument("--scene-dit", default=None,
                    help="a train_scenes checkpoint (final or compact) exported beside --dit as components.sceneDenoiser: "
                         "it makes scene plans while --dit stays the plain single-scene denoiser (issue #10)")
    ap.add_argument("--no-global-caption", action="store_true",
                    help="with --scenes or --scene-dit: a DiT post-trained with train_scenes --no-global-caption; writes "
                         "scenes.globalCaption false, so the engine shows each frame its own scene's text only")
    ap.add_argument("--seed", type=int, default=0)
    # guidance convention (docs/model-package.md, training/vidlet_train/guidance.py): the CFG scale w, 1 = off;
    # Inner-Guidance uses w1 = w - 1 with the manifest's defaultInnerGuidance as w2
    ap.add_argument("--guidance", type=float, default=5.0,
                    help="manifest schedule.defaultGuidance: the CFG scale w (1 = off; Inner-Guidance uses w1 = w - 1)")
    ap.add_argument("--inner-guidance", type=float, default=3.0,
                    help="manifest schedule.defaultInnerGuidance: VideoJAM w2 (0 = plain CFG)")
    ap.add_argument("--contrast", type=float, default=0.0,
                    help="manifest schedule.defaultContrast: contrast guidance w3 on the prompt's object nouns (0 = off)")
    ap.add_argument("--steps", type=int, default=20, help="manifest schedule.defaultSteps")
    ap.add_argument("--shift", type=float, default=1.0,
                    help="manifest schedule.shift: t' = s t / (1 + (s - 1) t), s > 1 spends more steps at high noise")
    args = ap.parse_args(argv)
    if args.scenes and args.scene_dit:
        ap.error("--scenes and --scene-dit exclude each other: --scenes makes --dit the per-scene denoiser, "
                 "--scene-dit keeps --dit plain and adds the scene DiT as the sceneDenoiser")
    if args.no_global_caption and not makes_scene_plans(args):
        ap.error("--no-global-caption only applies with --scenes or --scene-dit")
    return args


def makes_scene_plans(args) -> bool:
    """The package declares per-scene conditioning, on its denoiser (--scenes) or its sceneDenoiser."""
    return bool(args.scenes or args.scene_dit)


def load_networks(vae_path: str, dit_path: str):
    """(vae, preview decoder, DiT) in eval mode; "random" for either gives an untrained network of the
    final architecture, for wiring the engine before training ends."""
    if vae_path == "random":
        vae, prev = build_vae(VAEConfig().to_dict())
    else:
        vae, prev = load_vae(vae_path, with_preview=True)
    grid = 128 // vae.cfg.spatial if hasattr(vae, "cfg") else 16
    dit = load_dit(dit_path, vae.zc, grid)
    if (dit.cfg.latent_channels, dit.cfg.height, dit.cfg.width) != (vae.zc, grid, grid):
        raise SystemExit(f"{dit_path} was trained on {dit.cfg.latent_channels}x{dit.cfg.height}x{dit.cfg.width} latents, "
                         f"{vae_path} makes {vae.zc}x{grid}x{grid}")
    return vae.eval(), prev.eval(), dit.eval()


def load_dit(path: str, zc: int, grid: int) -> VideoDiT:
    """A checkpoint's EMA weights (train_dit/train_scenes final or compact), or "random"."""
    if path == "random":
        dit = VideoDiT(DiTConfig(latent_channels=zc, height=grid, width=grid))
        for p in dit.parameters():  # make a random net produce non-trivial output
            torch.nn.init.normal_(p, std=0.02)
        return dit.eval()
    ck = torch.load(path)
    cfg, ema = without_training_heads(ck["cfg"], ck["ema"])
    dit = VideoDiT(DiTConfig(**cfg))
    dit.load_state_dict(ema)
    return dit.eval()


# What a package states once for both denoisers: the latent layout (manifest.latent), the text
# width and the LoRA slots (manifest.lora), which the engine feeds either graph alike.
SHARED_DIT_FIELDS = ("latent_channels", "frames", "height", "width", "text_dim", "lora_slots", "lora_rank",
                     "lora_targets", "depth", "dim")


def load_scene_dit(path: str, dit: VideoDiT, dit_path: str) -> VideoDiT:
    """--scene-dit, loaded as --dit is; it must share --dit's SHARED_DIT_FIELDS."""
    scene = load_dit(path, dit.cfg.latent_channels, dit.cfg.height)
    differ = [f"{k} {getattr(scene.cfg, k)} vs {getattr(dit.cfg, k)}" for k in SHARED_DIT_FIELDS
              if getattr(scene.cfg, k) != getattr(dit.cfg, k)]
    if differ:
        raise SystemExit(f"--scene-dit {path} does not fit the package of --dit {dit_path} (one manifest latent, text and "
                         f"lora section serves both denoisers): " + ", ".join(differ))
    return scene


# A component's graph files and tensor names: (file stem, input names, output names).
Graphs = dict[str, tuple[str, list[str], list[str]]]


def export_text_encoder(out, L: int, skip: bool, errors: dict) -> Graphs:
    """The frozen pretrained MiniLM in fp32 and weight-only int8, or (skip) the files already in `out`
    checked against PyTorch again."""
    te_in, te_out = ["input_ids", "attention_mask"], ["hidden"]
    te = MiniLM.pretrained()
    ids = torch.randint(1000, 5000, (2, L)); mask = torch.ones(2, L, dtype=torch.long); mask[1, 10:] = 0
    feeds = {"input_ids": ids, "attention_mask": mask}
    if not skip:
        export_graph(te, (ids, mask), out("text_encoder.onnx"), te_in, te_out,
                     {"input_ids": {0: "b"}, "attention_mask": {0: "b"}, "hidden": {0: "b"}})
        errors["textEncoder"] = check_graph(out("text_encoder.onnx"), te, feeds, te_out)
        # weight-only int8 (quant.py): dynamic MatMulInteger int8 was 22-47% off on MiniLM's token states
        quantize_text_encoder(out("text_encoder.onnx"), out("text_encoder.int8.onnx"),
                              os.path.join(package_dir(), "tokenizer.json"), L)
        errors["textEncoder.int8"] = check_graph(out("text_encoder.int8.onnx"), te, feeds, te_out)
    else:
        for f, key in (("text_encoder.onnx", "textEncoder"), ("text_encoder.int8.onnx", "textEncoder.int8")):
            if os.path.exists(out(f)):
                errors[key] = check_graph(out(f), te, feeds, te_out)
    return {"textEncoder": ("text_encoder", te_in, te_out)}


def export_denoiser(dit: VideoDiT, cfg: DiTConfig, out, L: int, errors: dict, per_scene: bool = False,
                    role: str = "denoiser") -> Graphs:
    """A DiT as component `role` (denoiser or sceneDenoiser; files and error keys named after it) in
    fp32 and weight-only int8, checked at batch 3 and 2, and with all-zero LoRA scales.
    per_scene (issue #10): with the text_frame_mask input (graph_io.py), checked on two- and
    three-scene clips besides one scene, since its clip length and text length vary per request."""
    B, S, D, P, R, C = 3, cfg.lora_slots, cfg.depth, cfg.lora_targets, cfg.lora_rank, cfg.dim
    dn_in, dn_out = graph_io.names(per_scene), graph_io.OUTPUTS
    fp32, int8 = out(f"{file_stem(role)}.onnx"), out(f"{file_stem(role)}.int8.onnx")
    one_scene = [cfg.frames] if per_scene else None  # per-scene graphs always take the mask (all ones here)
    feeds = graph_io.probe_feeds(cfg, L, B, [1.0, 1.0, 0.0], one_scene)
    export_graph(dit, tuple(feeds.values()), fp32, dn_in, dn_out, graph_io.dynamic_axes(per_scene))
    errors[role] = check_graph(fp32, dit, feeds, dn_out)
    # weight-only int8 (DequantizeLinear -> MatMul): dynamic MatMulInteger also rounds the activations,
    # and on the 4-channel DiT that put the velocities 0.48 off (weight-only: 0.10)
    quantize_weights_only(fp32, int8)
    errors[f"{role}.int8"] = check_graph(int8, dit, feeds, dn_out)
    # batch is dynamic (the engine batches 2 or 3 guidance passes): check batch 2 as well
    feeds2 = {k: (v[:2] if k not in ("lora_down", "lora_up") else v) for k, v in feeds.items()}
    errors[f"{role}.batch2"] = check_graph(fp32, dit, feeds2, dn_out)
    if per_scene:
        # other clip and text lengths than the traced ones: two scenes (half the frames each) and three
        half = max(1, cfg.frames // 2)
        for name, layout in (("scenes2", [half, cfg.frames - half or 1]), ("scenes3", [cfg.frames] * 3)):
            feeds_s = graph_io.probe_feeds(cfg, L, 2, [1.0, 0.0], layout)
            errors[f"{role}.{name}"] = check_graph(fp32, dit, feeds_s, dn_out)
            errors[f"{role}.int8.{name}"] = check_graph(int8, dit, feeds_s, dn_out)
    # LoRA slots with all scales 0 must give exactly the base model's output, whatever the slots hold
    sess = ort.InferenceSession(fp32, providers=["CPUExecutionProvider"])
    zero = {**{k: v.numpy() for k, v in feeds.items()}, "lora_scales": np.zeros((B, S, D), np.float32)}
    empty = {**zero, "lora_down": np.zeros((S, D, P, R, C), np.float32), "lora_up": np.zeros((S, D, P, C, R), np.float32)}
    a, b = sess.run(dn_out, zero), sess.run(dn_out, empty)
    errors[f"{role}.lora_zero_scale_vs_empty_slots"] = float(max(np.abs(x - y).max() for x, y in zip(a, b)))
    return {role: (file_stem(role), dn_in, dn_out)}


def export_vae(vae, prev, cfg: DiTConfig, out, errors: dict, per_scene: bool = False) -> Graphs:
    """The VAE decoder, preview decoder and encoder in fp32 and int8 (diffusion-space latents at the boundary).
    per_scene: the decoders take any number of latent frames (a clip is its scenes' lengths added up),
    checked on a clip three times the traced length (three scenes)."""
    graphs: Graphs = {}
    z = torch.randn(2, cfg.latent_channels, cfg.frames, cfg.height, cfg.width)
    z3 = torch.randn(1, cfg.latent_channels, 3 * cfg.frames, cfg.height, cfg.width) if per_scene else None
    for name, module, io in [
        ("vaeDecoder", DiffusionLatentDecoder(vae), (["latent"], ["video"])),
        ("previewDecoder", DiffusionLatentDecoder(vae, prev), (["latent"], ["preview"])),
    ]:
        fname = file_stem(name)
        axes = graph_io.decoder_axes(per_scene)
        export_graph(module, (z,), out(f"{fname}.onnx"), io[0], io[1], {io[0][0]: axes, io[1][0]: axes})
        errors[name] = check_graph(out(f"{fname}.onnx"), module, {"latent": z}, io[1])
        quantize_conv_weights(out(f"{fname}.onnx"), out(f"{fname}.int8.onnx"))
        errors[name + ".int8"] = check_graph(out(f"{fname}.int8.onnx"), module, {"latent": z}, io[1])
        if per_scene:
            errors[name + ".t3x"] = check_graph(out(f"{fname}.onnx"), module, {"latent": z3}, io[1])
            errors[name + ".int8.t3x"] = check_graph(out(f"{fname}.int8.onnx"), module, {"latent": z3}, io[1])
        graphs[name] = (fname, *io)
    enc = DiffusionLatentEncoder(vae)
    vid = torch.rand(1, 3, 16, 128, 128) * 2 - 1
    export_graph(enc, (vid,), out("vae_encoder.onnx"), ["video"], ["latent"], {"video": {0: "b"}, "latent": {0: "b"}})
    errors["vaeEncoder"] = check_graph(out("vae_encoder.onnx"), enc, {"video": vid}, ["latent"])
    quantize_conv_weights(out("vae_encoder.onnx"), out("vae_encoder.int8.onnx"))
    errors["vaeEncoder.int8"] = check_graph(out("vae_encoder.int8.onnx"), enc, {"video": vid}, ["latent"])
    graphs["vaeEncoder"] = ("vae_encoder", ["video"], ["latent"])
    return graphs


def component_entries(graphs: Graphs, out) -> dict:
    """manifest.components: role maps and, per variant present in `out`, its files with size and sha256."""
    def entry(path):
        return {"path": path, "bytes": os.path.getsize(out(path)), "sha256": sha256(out(path))}

    components = {}
    for role, (fname, ins, outs) in graphs.items():
        variants = {"fp32": {"files": [entry(f"{fname}.onnx")]}}
        if os.path.exists(out(f"{fname}.int8.onnx")):
            variants["int8"] = {"files": [entry(f"{fname}.int8.onnx")]}
        components[role] = {"inputs": {n: n for n in ins}, "outputs": {n: n for n in outs}, "variants": variants}
    return components


def build_manifest(args, vae, cfg: DiTConfig, components: dict, L: int, previous: dict | None) -> dict:
    """manifest.json (docs/model-package.md); adapters, blender and the reward model come from
    `previous` (written by the adapter and reward exporters), since this export does not make them.
    The reward model reads finished clips and the frozen text encoder's output, so a new DiT or VAE
    leaves it valid."""
    zc = cfg.latent_channels
    manifest = {
        "format": "vidlet-model", "formatVersion": 1, "name": "vidlet-tiny",
        "displayName": "Vidlet tiny (embedded)",
        "description": "A small joint appearance-motion video DiT trained by Vidlet's own code on a procedural world "
                       "of promo clips (shapes, icons, colours, backgrounds, motions). 16 frames, 128x128, 8 fps.",
        "license": "Apache-2.0 (text encoder: all-MiniLM-L6-v2, Apache-2.0)",
        "modelCard": "MODEL_CARD.md",
        "video": {"width": 128, "height": 128, "frames": 16, "fps": 8},
        "latent": {"channels": zc, "frames": cfg.frames, "height": cfg.height, "width": cfg.width,
                   "scale": per_channel(vae.scale), "shift": per_channel(vae.shift)},
        "motion": {"channels": zc},
        "text": {"tokenizer": "tokenizer.json", "maxLength": L, "hiddenSize": 384, "vocabulary": "vocabulary.json",
                 "lexicon": "lexicon.json", "contrast": "contrast.json"},
        "schedule": {"type": "flow-matching", "shift": args.shift, "defaultSteps": args.steps, "defaultGuidance": args.guidance,
                     "defaultInnerGuidance": args.inner_guidance, "defaultContrast": args.contrast, "defaultSampler": "euler"},
        "components": components,
        "lora": {"slots": ["identity", "motion"], "depth": cfg.depth, "targets": ["attn.q", "attn.k", "attn.v", "attn.o"],
                 "rank": cfg.lora_rank, "width": cfg.dim},
        "adapters": [],
    }
    if makes_scene_plans(args):
        manifest["scenes"] = dict(graph_io.PER_SCENE, **({"globalCaption": False} if args.no_global_caption else {}))
    for k in ("adapters", "blender", "reward"):
        if previous and previous.get(k):
            manifest[k] = previous[k]
    if previous and "reward" in manifest:
        manifest["components"]["rewardModel"] = previous["components"]["rewardModel"]
    return manifest


def export_report(errors: dict, vae, prev, dit: VideoDiT, cfg: DiTConfig, components: dict,
                  scene_dit: VideoDiT | None = None) -> dict:
    """export_report.json; "sceneDit" (the scene DiT's config, which recover.py rebuilds it from) only
    with a sceneDenoiser."""
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    report = {"max_abs_error_vs_pytorch": errors, "dit": cfg.to_dict(),
              "vae": vae.cfg.to_dict() if hasattr(vae, "cfg") else None,
              "params": {"denoiser": count(dit), "vae_decoder": count(vae.decoder), "vae_encoder": count(vae.encoder),
                         "preview_decoder": count(prev)},
              "bytes": {f["path"]: f["bytes"] for c in components.values() for v in c["variants"].values() for f in v["files"]}}
    if scene_dit is not None:
        report["sceneDit"] = scene_dit.cfg.to_dict()
        report["params"]["scene_denoiser"] = count(scene_dit)
    return report


def main(argv=None):
    args = parse_args(argv)
    # the check inputs below are drawn in this order: text, denoiser, sceneDenoiser, VAE
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    vae, prev, dit = load_networks(args.vae, args.dit)
    scene_dit = load_scene_dit(args.scene_dit, dit, args.dit) if args.scene_dit else None
    cfg, L = dit.cfg, MAX_LENGTH
    errors: dict[str, float] = {}
    graphs = {**export_text_encoder(out, L, args.skip_text_encoder, errors),
              **export_denoiser(dit, cfg, out, L, errors, args.scenes)}
    if scene_dit is not None:
        graphs.update(export_denoiser(scene_dit, scene_dit.cfg, out, L, errors, True, graph_io.SCENE_DENOISER))
    graphs.update(export_vae(vae, prev, cfg, out, errors, makes_scene_plans(args)))
    check_tolerances(errors)  # before anything the engine reads is written
    shutil.copy(os.path.join(package_dir(), "tokenizer.json"), out("tokenizer.json"))
    if not (args.keep_vocabulary and os.path.exists(out("vocabulary.json"))):
        json.dump(vocabulary(), open(out("vocabulary.json"), "w"))
    prompt_lexicon.write(out("lexicon.json"))
    prompt_contrast.write(out("contrast.json"))
    components = component_entries(graphs, out)
    previous = json.load(open(out("manifest.json"))) if os.path.exists(out("manifest.json")) else None
    json.dump(build_manifest(args, vae, cfg, components, L, previous), open(out("manifest.json"), "w"), indent=2)
    report = export_report(errors, vae, prev, dit, cfg, components, scene_dit)
    json.dump(report, open(out("export_report.json"), "w"), indent=2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
