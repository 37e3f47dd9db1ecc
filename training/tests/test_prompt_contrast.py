"""Contrast guidance (world/prompt_contrast.py, guidance.py): the shared reading cases (the engine's
src/engine/prompt-contrast.ts passes the same file), the shipped package's contrast.json is what the
module writes, and the fourth pass adds w3 · (cond − contrast) to every guidance mode."""
import json
import os

import numpy as np
import pytest

from vidlet_train.guidance import COND, CONTRAST, MOTION_DROPPED, UNCOND, combine_guidance, combine_pass_major, plan_guidance
from vidlet_train.world.prompt_contrast import AMBIGUOUS, contrast_prompt, write

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CASES = json.load(open(os.path.join(ROOT, "tests", "fixtures", "prompt-contrast-cases.json")))
PACKAGE = os.path.join(ROOT, "public", "models", "vidlet-tiny")


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["text"][:40])
def test_shared_cases(case):
    assert contrast_prompt(case["text"], CASES["table"]) == case["reading"]


def test_shipped_table_is_what_the_module_writes(tmp_path):
    doc = write(str(tmp_path / "contrast.json"))
    assert json.load(open(os.path.join(PACKAGE, "contrast.json"))) == doc
    assert all(w == w.lower() and w.strip() == w for w in doc["words"])
    assert not AMBIGUOUS & set(doc["words"]) and {"heart", "star", "ring"} <= set(doc["words"])
    m = json.load(open(os.path.join(PACKAGE, "manifest.json")))
    assert m["text"]["contrast"] == "contrast.json" and m["schedule"]["defaultContrast"] >= 0


@pytest.mark.parametrize("guidance,inner", [(1.0, 0.0), (3.0, 0.0), (1.0, 2.0), (3.0, 2.0)])
def test_contrast_adds_w3_times_cond_minus_contrast(guidance, inner):
    rng = np.random.default_rng(0)
    out = {k: rng.normal(size=5) for k in (COND, UNCOND, MOTION_DROPPED, CONTRAST)}
    without = combine_guidance(out, plan_guidance(guidance, inner))
    plan = plan_guidance(guidance, inner, contrast=2.5)
    assert plan.passes[-1] == CONTRAST and plan.w3 == 2.5
    np.testing.assert_allclose(combine_guidance(out, plan), without + 2.5 * (out[COND] - out[CONTRAST]))
    batched = np.concatenate([out[p] for p in plan.passes])
    np.testing.assert_allclose(combine_pass_major(batched, plan, 5), combine_guidance(out, plan))


def test_no_contrast_pass_at_zero():
    assert CONTRAST not in plan_guidance(3.0, 2.0, contrast=0.0).passes
