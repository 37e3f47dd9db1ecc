"""Procedural promo-clip world: shapes, colours, backgrounds, motions, captions, exact flow."""
from .catalog import COLOURS, SHAPES, MOTIONS, BACKGROUNDS, CAMERA_MOVES
from .sample import ClipSpec, SceneSpec, sample_clip_spec
from .captions import caption_scenes, recaption, training_vocabulary
from .render import render_clips
from .flowviz import flow_to_rgb
