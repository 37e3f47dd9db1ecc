"""vidlet_train.adapters.fidelity: the paired difference between two configurations is taken over
the prompts both scored, with the standard error of the per-prompt differences."""
import math

from vidlet_train.adapters.fidelity import paired_difference


def test_paired_difference_uses_shared_prompts_and_per_prompt_spread():
    a = {"rows": [{"id": "p0", "identity": 0.5}, {"id": "p1", "identity": 0.7}, {"id": "p2", "identity": 0.9}, {"id": "only-a", "identity": 9.0}]}
    b = {"rows": [{"id": "p0", "identity": 0.4}, {"id": "p1", "identity": 0.4}, {"id": "p2", "identity": 0.9}]}
    mean, se, n = paired_difference(a, b, "identity")
    diffs = [0.1, 0.3, 0.0]
    mu = sum(diffs) / 3
    sd = math.sqrt(sum((d - mu) ** 2 for d in diffs) / 2)
    assert n == 3
    assert math.isclose(mean, mu, abs_tol=1e-12)
    assert math.isclose(se, sd / math.sqrt(3), abs_tol=1e-12)
    # A shift that is the same on every prompt has no spread: the difference is exact.
    shifted = {"rows": [{"id": r["id"], "identity": r["identity"] + 0.25} for r in b["rows"]]}
    mean, se, n = paired_difference(shifted, b, "identity")
    assert math.isclose(mean, 0.25) and se < 1e-12 and n == 3
