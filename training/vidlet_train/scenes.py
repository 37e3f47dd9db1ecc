"""Multi-scene conditioning (issue #10): which text tokens each latent frame of a clip may see.

The one rule, mirrored by the engine (src/engine/scene-input.ts) and stated in
docs/model-package.md "Scenes": the denoiser's text input is the global caption's L tokens
followed by each scene's L tokens (S > 1 scenes: (1 + S)·L tokens); latent frame f sees the
global segment and the segment of the scene it lies in. One scene: the text is the caption alone
(L tokens) and every frame sees all of it, which is today's single-scene input exactly.
Scene boundaries fall on latent frames (FRAMES_PER_LATENT video frames), so no latent frame
straddles a cut. The unconditional (CFG) pass keeps the frame mask and puts the empty (or
negative) prompt in every segment: unconditional_text below; training's caption dropout does the
same (train_scenes), so the engine's unconditional pass is one the model was trained on.
"""
from __future__ import annotations

import torch

FRAMES_PER_LATENT = 4  # the VAE packs 4 video frames into one latent frame
# The global caption of a plan: the scenes' texts joined as the template captions join scenes
# (world/captions.py template_caption); mirrors src/package/scenes.ts sceneCaption, which the
# page and CLI send as the prompt.
CUT_JOINER = " Then cut to "
_SCENE_END = ".,;:-–—… \t\n"


def joined_caption(texts: list[str]) -> str:
    """sceneCaption: trimmed texts, separators ending all but the last dropped, joined by CUT_JOINER."""
    t = [x.strip() for x in texts]
    return CUT_JOINER.join(x.rstrip(_SCENE_END) if i < len(t) - 1 else x for i, x in enumerate(t))


def latent_scene_lengths(scene_frames: list[int]) -> list[int]:
    """Video-frame scene lengths -> latent-frame lengths; refuses cuts inside a latent frame."""
    bad = [n for n in scene_frames if n <= 0 or n % FRAMES_PER_LATENT]
    if bad:
        raise ValueError(f"scene lengths must be positive multiples of {FRAMES_PER_LATENT} frames "
                         f"(a cut must fall between latent frames), got {scene_frames}")
    return [n // FRAMES_PER_LATENT for n in scene_frames]


def text_frame_mask(scene_latents: list[int], segment_len: int, global_caption: bool = True) -> torch.Tensor:
    """[t, L'] float mask, t = sum(scene_latents): 1 where latent frame f may see text token l.
    L' = segment_len for one scene, (1 + S)·segment_len for S > 1 (global caption first).
    global_caption False (manifest scenes.globalCaption false): no frame sees the global segment,
    each sees its own scene's text only, and the pooled caption (the tokens every frame sees) is
    empty. The global caption is the scenes joined by CUT_JOINER, which the base model read as "cut
    somewhere": seen by every frame, it made frames inside a scene jump (docs/model-package.md)."""
    t = sum(scene_latents)
    if len(scene_latents) == 1:
        return torch.ones(t, segment_len)
    s_count = len(scene_latents)
    mask = torch.zeros(t, (1 + s_count) * segment_len)
    if global_caption:
        mask[:, :segment_len] = 1.0  # the global caption: every frame
    f0 = 0
    for s, n in enumerate(scene_latents):
        lo = (1 + s) * segment_len
        mask[f0:f0 + n, lo:lo + segment_len] = 1.0
        f0 += n
    return mask


def within_scene_pairs(scene_latents: list[int]) -> torch.Tensor:
    """[t - 1] bool: True where latent frames f and f + 1 lie in the same scene (no cut between)."""
    same = torch.ones(sum(scene_latents) - 1, dtype=torch.bool)
    edge = 0
    for n in scene_latents[:-1]:
        edge += n
        same[edge - 1] = False
    return same


def scene_text(global_hidden: torch.Tensor, global_mask: torch.Tensor,
               scene_hidden: list[torch.Tensor], scene_masks: list[torch.Tensor]):
    """The denoiser's text input for one clip: hidden [L', H] and text_mask [L'] in the order
    text_frame_mask assumes. One scene: the global caption alone (today's input)."""
    if len(scene_hidden) <= 1:
        return global_hidden, global_mask
    return torch.cat([global_hidden, *scene_hidden], 0), torch.cat([global_mask, *scene_masks], 0)


def unconditional_text(empty_hidden: torch.Tensor, empty_mask: torch.Tensor, n_scenes: int):
    """The unconditional pass's text for a clip of n_scenes: the empty (or negative) prompt in every
    segment, [L', H] and [L'], the same width as scene_text's, so text_frame_mask applies as is."""
    k = 1 if n_scenes <= 1 else 1 + n_scenes
    return empty_hidden.repeat(k, 1), empty_mask.repeat(k)
