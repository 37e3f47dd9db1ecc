"""Issue #10's measurement (scene_eval.py): held-out plans, scene spans, the MAE summary, and the
count through the page's own cut detector (scripts/count-scenes.ts) on rendered clips."""
import json
import os

import numpy as np
import pytest

from vidlet_train.dataset import held_out_prompts, _norm
from vidlet_train.judge import to_frames, truth_spec
from vidlet_train.scene_eval import count_scenes, found_cuts, held_out_plans, match_cuts, scene_spans, summarise_scenes
from vidlet_train.scenes import joined_caption
from vidlet_train.world import ClipSpec, render_clips


def test_plans_cycle_one_two_three_held_out_scenes():
    plans = held_out_plans(9, seed=5, frames=16)
    assert [len(p["scenes"]) for p in plans] == [1, 2, 3] * 3
    held = held_out_prompts()
    for p in plans:
        texts = [s["text"] for s in p["scenes"]]
        assert len(set(texts)) == len(texts) and all(_norm(t) in held for t in texts)
        assert all(s["frames"] == 16 for s in p["scenes"])
    assert held_out_plans(9, seed=5, frames=16) == plans


def test_scene_spans_exact_for_the_plans_length_and_scaled_otherwise():
    assert scene_spans([8, 16], 24) == [(0, 8), (8, 24)]
    assert scene_spans([16, 16, 16], 16) == [(0, 5), (5, 11), (11, 16)]  # a one-caption model's 16 frames


def test_summary_mae_and_per_scene_accuracy():
    ok = {"colour": True, "shape": True, "background": True, "direction": True}
    bad = {**ok, "shape": False}
    rows = [{"asked": 1, "found": 1, "scene_scores": [ok]}, {"asked": 2, "found": 1, "scene_scores": [ok, bad]},
            {"asked": 3, "found": 3, "scene_scores": [ok, ok, bad]}]
    s = summarise_scenes(rows)
    assert s["mae"] == pytest.approx(1 / 3) and not s["met"]
    assert s["by_asked"]["2"] == {"plans": 1, "mean_found": 1.0, "mae": 1.0}
    assert s["per_scene_judge"]["shape"] == pytest.approx(4 / 6) and s["per_scene_judge"]["all"] == pytest.approx(4 / 6)
    assert summarise_scenes([{**r, "found": r["asked"]} for r in rows])["met"]
    assert "cuts" not in s  # rows without cut frames: no cut figures


def test_planned_cuts_found_and_extra_cuts():
    assert match_cuts([16, 32], [16, 20, 33]) == (2, 1)  # 33 is within a frame of 32; 20 is extra
    assert match_cuts([16], [4, 8]) == (0, 2)
    assert match_cuts([], []) == (0, 0)
    assert match_cuts([16], [15, 16]) == (1, 1)  # one found cut matches one planned cut
    ok = {"colour": True, "shape": True, "background": True, "direction": True}
    rows = [{"asked": 2, "found": 4, "scene_scores": [ok, ok], "planned_cuts": [16], "cuts": [4, 16, 20]},
            {"asked": 3, "found": 2, "scene_scores": [ok, ok, ok], "planned_cuts": [16, 32], "cuts": [24]}]
    assert summarise_scenes(rows)["cuts"] == {"planned": 3, "planned_found": 1, "extra": 3}


def test_joined_caption_is_the_pages_scene_caption():
    # the cases of src/package/scenes.ts sceneCaption: trimmed, separators before a joiner dropped, the last kept
    assert joined_caption([" a red ball bounces. ", "a star spins;"]) == "a red ball bounces Then cut to a star spins;"
    assert joined_caption(["one  "]) == "one"


def test_the_page_detector_counts_rendered_scenes(tmp_path):
    rows = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "eval-prompts.json")))
    a = next(r for r in rows if r["background"] == "white")
    b = next(r for r in rows if r["background"] == "blue")
    one = truth_spec(a, 16)
    two = ClipSpec([truth_spec(a, 16).scenes[0], truth_spec(b, 16).scenes[0]], "")
    clips = []
    for name, spec, f in (("one", one, 16), ("two", two, 32)):
        video = to_frames(render_clips([spec], f, 64)[0])[0]
        np.concatenate([video, np.full((*video.shape[:3], 1), 255, np.uint8)], -1).tofile(tmp_path / f"{name}.rgba")
        clips.append({"file": f"{name}.rgba", "frames": f, "width": 64, "height": 64})
    json.dump({"clips": clips}, open(tmp_path / "clips.json", "w"))
    assert count_scenes(str(tmp_path)) == [1, 2]
    assert found_cuts(str(tmp_path)) == [[], [16]]
