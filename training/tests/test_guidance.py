"""The training side's guidance helper (vidlet_train/guidance.py) keeps the package contract
(docs/model-package.md): `guidance` is the CFG scale w (1 = off), Inner-Guidance uses w1 = w − 1
with `inner_guidance` as w2, and it plans the same passes as the engine (src/engine/guidance.ts;
the numbers below are those of tests/unit/engine/guidance.test.ts). numpy only."""
import numpy as np
import pytest

from vidlet_train.guidance import COND, MOTION_DROPPED, UNCOND, combine_guidance, plan_guidance


def f32(*a):
    return np.array(a, dtype=np.float32)


def test_plan_passes_and_weights():
    assert plan_guidance(1, 0).passes == (COND,)
    assert plan_guidance(5, 0).passes == (COND, UNCOND)
    p = plan_guidance(5, 3)
    assert (p.passes, p.w1, p.w2) == ((COND, UNCOND, MOTION_DROPPED), 4.0, 3.0)  # w1 = w − 1
    assert plan_guidance(1, 3).passes == (COND, MOTION_DROPPED)
    # a model without motion input cannot drop motion: Inner-Guidance is off
    p = plan_guidance(5, 3, has_motion=False)
    assert (p.passes, p.w1, p.w2) == ((COND, UNCOND), 4.0, 0.0)


def test_cfg_uses_guidance_as_the_scale():
    cond, unc = f32(3, 0), f32(1, -2)
    # v(∅) + w·(v(y) − v(∅)) with w = 5: 1 + 5·2 = 11, −2 + 5·2 = 8
    out = combine_guidance({COND: cond, UNCOND: unc}, plan_guidance(5, 0))
    np.testing.assert_array_equal(out, f32(11, 8))
    np.testing.assert_array_equal(combine_guidance({COND: cond}, plan_guidance(1, 0)), cond)


def test_inner_guidance_uses_w1_equal_guidance_minus_one():
    cond, unc, nom = f32(2, -1), f32(1, 0), f32(4, -2)
    # guidance 6 → w1 = 5, w2 = 3: 9·2 − 5·1 − 3·4 = 1 ; 9·(−1) − 5·0 − 3·(−2) = −3
    out = combine_guidance({COND: cond, UNCOND: unc, MOTION_DROPPED: nom}, plan_guidance(6, 3))
    np.testing.assert_allclose(out, f32(1, -3), atol=1e-6)


@pytest.mark.parametrize("w", [1.5, 5.0, 7.5])
def test_inner_guidance_with_w2_zero_is_exactly_cfg(w):
    rng = np.random.default_rng(0)
    cond, unc, nom = (rng.standard_normal(64).astype(np.float32) for _ in range(3))
    cfg = combine_guidance({COND: cond, UNCOND: unc}, plan_guidance(w, 0))
    np.testing.assert_allclose(cfg, unc + w * (cond - unc), rtol=1e-6, atol=1e-6)
    # the three-term formula with w1 = w − 1 and w2 = 0 equals CFG at scale w
    p3 = plan_guidance(w, 3)
    three = combine_guidance({COND: cond, UNCOND: unc, MOTION_DROPPED: nom}, type(p3)(p3.passes, p3.w1, 0.0))
    np.testing.assert_allclose(three, cfg, rtol=1e-5, atol=1e-5)


def test_motion_only_when_guidance_is_off():
    cond, nom = f32(1, 2, 3), f32(2, 2, 2)
    # u_y + w2·(u_y − u_noMotion) = 4·u_y − 3·u_noMotion
    out = combine_guidance({COND: cond, MOTION_DROPPED: nom}, plan_guidance(1, 3))
    np.testing.assert_array_equal(out, f32(-2, 2, 6))
