"""reward.win_rate: the after-takes' share of wins, ties counted half, on the shared prompts."""
import pytest

from vidlet_train.reward.win_rate import win_rates


def s(vq, mq, ta):
    return {"VQ": vq, "MQ": mq, "TA": ta, "overall": vq + mq + ta}


def test_wins_ties_and_losses_count_one_half_zero():
    before = {"p1": s(0, 0, 0), "p2": s(1, 1, 1), "p3": s(0, 2, 0), "only-before": s(9, 9, 9)}
    after = {"p1": s(1, 0, -1), "p2": s(1, 0, 2), "p3": s(0, 1, 5)}
    r = win_rates(before, after)
    assert r["VQ"]["n"] == 3
    assert r["VQ"]["win_rate"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert r["MQ"]["win_rate"] == pytest.approx((0.5 + 0 + 0) / 3)
    assert r["TA"]["win_rate"] == pytest.approx((0 + 1 + 1) / 3)
    assert r["overall"]["win_rate"] == pytest.approx((0.5 + 0.5 + 1) / 3)


def test_no_shared_prompt_is_refused():
    with pytest.raises(ValueError, match="share no prompt"):
        win_rates({"a": s(0, 0, 0)}, {"b": s(0, 0, 0)})
