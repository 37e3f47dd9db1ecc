"""The exported graphs' inputs, outputs and dynamic axes (docs/model-package.md "Component I/O"),
for export.py and recover.py alike: recover re-exports probes that must lay the graphs out exactly
as the package's were, so both take them from here.

A single-scene package (no `scenes`, or conditioning "joined-caption") keeps the graph it always
had: batch is its only dynamic axis. A "per-scene" package (issue #10) adds `text_frame_mask`
[B, t, L'] and makes the latent frames t (the clip is the scenes' lengths added up) and the text
length L' ((1 + S)·L for S scenes, scenes.py) dynamic too; its VAE and preview decoders take
any number of latent frames.

A per-scene package may split the work between two graphs (components.sceneDenoiser): then the
`denoiser` stays the plain single-scene graph and the sceneDenoiser, laid out per-scene, makes
every other clip (denoiser_for, the rule src/package/components.ts denoiserFor states too).
"""
from __future__ import annotations

import torch

from .dit import DiTConfig
from .scenes import text_frame_mask

INPUTS = ["latent", "motion", "timestep", "text", "text_mask", "motion_flag", "lora_scales", "lora_down", "lora_up"]
SCENE_INPUT = "text_frame_mask"
OUTPUTS = ["v_latent", "v_motion"]
# The manifest section a per-scene export declares (src/package/scenes.ts SceneSupport): scenes of
# 8–16 frames in the VAE's 4-frame steps (scene_data.py trains exactly these lengths), up to three.
PER_SCENE = {"maxScenes": 3, "minFrames": 8, "maxFrames": 16, "frameStep": 4, "defaultFrames": 16,
             "conditioning": "per-scene"}


SCENE_DENOISER = "sceneDenoiser"


def is_per_scene(manifest: dict | None) -> bool:
    """The package makes per-scene plans (on whichever graph denoiser_for picks)."""
    return bool(manifest and (manifest.get("scenes") or {}).get("conditioning") == "per-scene")


def has_scene_denoiser(manifest: dict | None) -> bool:
    return bool(manifest and SCENE_DENOISER in (manifest.get("components") or {}))


def scene_denoiser_component(manifest: dict | None) -> str:
    """The component that makes a per-scene package's scene plans."""
    return SCENE_DENOISER if has_scene_denoiser(manifest) else "denoiser"


def denoiser_takes_frame_mask(manifest: dict | None) -> bool:
    """Whether the `denoiser` component is laid out per-scene (names(True)); with a sceneDenoiser
    beside it, it is the plain graph instead."""
    return is_per_scene(manifest) and not has_scene_denoiser(manifest)


def denoiser_for(manifest: dict, scene_frames: list[int] | None) -> str:
    """The component that denoises a clip of these scene lengths (None: no plan). With a
    sceneDenoiser, one scene of the package's own length stays on the plain `denoiser`, untouched by
    scene post-training (which cost it single-scene quality, issue #10); every other plan goes to
    the sceneDenoiser."""
    own_length = scene_frames is None or (len(scene_frames) == 1 and scene_frames[0] == manifest["video"]["frames"])
    return "denoiser" if own_length else scene_denoiser_component(manifest)


def sees_global_caption(manifest: dict | None) -> bool:
    """manifest scenes.globalCaption (default true): whether latent frames see the global caption
    (scenes.text_frame_mask's global_caption)."""
    return bool(((manifest or {}).get("scenes") or {}).get("globalCaption", True))


def names(per_scene: bool) -> list[str]:
    return INPUTS + ([SCENE_INPUT] if per_scene else [])


def decoder_axes(per_scene: bool) -> dict:
    """Dynamic axes of a decoder's latent input and video output (vaeDecoder, previewDecoder)."""
    return {0: "b", 2: "t"} if per_scene else {0: "b"}


def dynamic_axes(per_scene: bool) -> dict:
    batched = ["latent", "motion", "timestep", "text", "text_mask", "motion_flag", "lora_scales", *OUTPUTS]
    dyn = {k: {0: "b"} for k in batched}
    if per_scene:
        for k in ("latent", "motion", *OUTPUTS):
            dyn[k] = {0: "b", 2: "t"}
        dyn["text"] = dyn["text_mask"] = {0: "b", 1: "l"}
        dyn[SCENE_INPUT] = {0: "b", 1: "t", 2: "l"}
    return dyn


def probe_feeds(cfg: DiTConfig, L: int, B: int, flags: list[float], scene_latents: list[int] | None = None) -> dict:
    """Random inputs for one check (drawn from torch's global RNG, in a fixed order). scene_latents:
    a per-scene layout (latent frames per scene), which adds text_frame_mask; None: today's inputs."""
    zc, H, W = cfg.latent_channels, cfg.height, cfg.width
    S, D, P, R, C = cfg.lora_slots, cfg.depth, cfg.lora_targets, cfg.lora_rank, cfg.dim
    T = sum(scene_latents) if scene_latents else cfg.frames
    width = L if not scene_latents or len(scene_latents) == 1 else (1 + len(scene_latents)) * L
    feeds = dict(latent=torch.randn(B, zc, T, H, W), motion=torch.randn(B, zc, T, H, W), timestep=torch.rand(B),
                 text=torch.randn(B, width, cfg.text_dim), text_mask=torch.ones(B, width),
                 motion_flag=torch.tensor(flags), lora_scales=torch.rand(B, S, D),
                 lora_down=torch.randn(S, D, P, R, C) * 0.1, lora_up=torch.randn(S, D, P, C, R) * 0.1)
    feeds["text_mask"][1].view(-1, L)[:, 20:] = 0  # sample 1's captions are 20 tokens, the rest padding
    if scene_latents:
        feeds[SCENE_INPUT] = text_frame_mask(scene_latents, L).expand(B, -1, -1).contiguous()
    return feeds
