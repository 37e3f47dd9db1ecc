"""export.build_manifest keeps what other exporters wrote into the package: the adapters, the
StageBlender table and the reward model (component and `reward` section), so re-exporting a DiT or
VAE into the shipped package does not drop the reward model the page ranks takes with."""
import json
import os
from types import SimpleNamespace

import torch

from vidlet_train.dit import DiTConfig
from vidlet_train.export import build_manifest
from vidlet_train.graph_io import PER_SCENE

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "..", "public", "models", "vidlet-tiny")


def manifest(previous, **flags):
    args = SimpleNamespace(**{"shift": 1.0, "steps": 20, "guidance": 3.0, "inner_guidance": 2.0, "contrast": 0.0, "scenes": False,
                              "scene_dit": None, "no_global_caption": False, **flags})
    vae = SimpleNamespace(scale=torch.ones(4), shift=torch.zeros(4))
    return build_manifest(args, vae, DiTConfig(), {"denoiser": {"inputs": {}, "outputs": {}, "variants": {}}}, 64, previous)


def test_reward_model_adapters_and_blender_carried_over():
    shipped = json.load(open(os.path.join(SHIPPED, "manifest.json")))
    assert "rewardModel" in shipped["components"]  # the shipped package has one to keep
    m = manifest(shipped)
    assert m["reward"] == shipped["reward"]
    assert m["components"]["rewardModel"] == shipped["components"]["rewardModel"]
    assert m["adapters"] == shipped["adapters"] and m["blender"] == shipped["blender"]


def test_a_fresh_package_has_no_reward_model():
    m = manifest(None)
    assert "reward" not in m and "rewardModel" not in m["components"] and m["adapters"] == []


def test_scenes_declared_with_or_without_the_global_caption():
    from vidlet_train.export import parse_args
    from vidlet_train.graph_io import sees_global_caption
    plain = manifest(None, scenes=True)
    assert plain["scenes"]["conditioning"] == "per-scene" and "globalCaption" not in plain["scenes"]
    assert sees_global_caption(plain)
    own = manifest(None, scenes=True, no_global_caption=True)
    assert own["scenes"]["globalCaption"] is False and not sees_global_caption(own)
    import pytest
    with pytest.raises(SystemExit):
        parse_args(["--no-global-caption"])  # without --scenes
    split = manifest(None, scene_dit="runs/dit-scenes/final.pt", no_global_caption=True)
    assert split["scenes"] == dict(PER_SCENE, globalCaption=False)
