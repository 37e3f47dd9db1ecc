"""reward.best_of_eval: the top-ranked take's judge accuracy against a random take's."""
import pytest

from vidlet_train.reward.best_of_eval import best_of_table


def take(overall, ta, *right):
    return {"scores": {"VQ": 0, "MQ": 0, "TA": ta, "overall": overall},
            "correct": {a: a in right for a in ("colour", "shape", "background", "direction")}}


def test_top_ranked_random_and_best_possible():
    takes = [
        {"p": take(1.0, 0.0, "colour"), "q": take(0.0, 0.0)},
        {"p": take(2.0, -1.0), "q": take(0.0, 5.0, "colour", "shape", "background", "direction")},
    ]
    t = best_of_table(takes)
    assert t["n"] == 2 and t["takes"] == 2
    # overall: p -> take 1 (nothing right); q -> a tie at 0, so the lower seed, take 0 (nothing right)
    assert t["top by overall"]["colour"] == 0.0 and t["top by overall"]["all"] == 0.0
    # TA: p -> take 0 (colour right); q -> take 1 (all right)
    assert t["top by TA"]["colour"] == 1.0 and t["top by TA"]["shape"] == 0.5
    assert t["random take"]["colour"] == pytest.approx(2 / 4) and t["random take"]["direction"] == pytest.approx(1 / 4)
    assert t["best possible"]["all"] == pytest.approx((1 / 4 + 1) / 2)


def test_prompts_missing_from_a_take_are_left_out_and_none_shared_is_refused():
    t = best_of_table([{"p": take(0, 0, "colour"), "x": take(0, 0)}, {"p": take(1, 1)}])
    assert t["n"] == 1
    with pytest.raises(ValueError, match="share no prompt"):
        best_of_table([{"p": take(0, 0)}, {"q": take(0, 0)}])
