import torch

from vidlet_train.compact import compact


def test_compact_keeps_weights_in_fp16_and_drops_the_optimizer():
    w = {"a.weight": torch.randn(3, 3), "steps": torch.tensor(7)}
    ck = {"model": w, "ema": {k: v.clone() for k, v in w.items()}, "opt": {"state": 1}, "cfg": {"dim": 8},
          "step": 12, "wall": 34.5, "rng": b"x"}
    out = compact(ck)
    assert set(out) == {"ema", "model", "cfg", "step", "wall"}
    assert out["ema"]["a.weight"].dtype == torch.float16 and out["ema"]["steps"].dtype == torch.int64
    assert torch.allclose(out["model"]["a.weight"].float(), w["a.weight"], atol=1e-2)
    assert out["step"] == 12 and out["cfg"] == {"dim": 8}
