"""Export a tiny package beside the shipped, frozen text encoder: linked, not re-exported nor
re-checked against MiniLM (test_training_smoke checks it; that check alone would be most of an
export's time). A clone without the shipped encoder is broken, so this fails rather than skips."""
import os

import pytest

from vidlet_train import export

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "..", "public", "models", "vidlet-tiny")
TEXT_ENCODER = ("text_encoder", ["input_ids", "attention_mask"], ["hidden"])


def export_with_shipped_text_encoder(pkg, argv: list[str]) -> None:
    assert os.path.exists(os.path.join(SHIPPED, "text_encoder.onnx")), f"no shipped text encoder in {SHIPPED}"
    pkg.mkdir()
    for f in ("text_encoder.onnx", "text_encoder.int8.onnx"):
        os.symlink(os.path.abspath(os.path.join(SHIPPED, f)), pkg / f)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export, "export_text_encoder", lambda out, L, skip, errors: {"textEncoder": TEXT_ENCODER})
        export.main([*argv, "--out", str(pkg), "--skip-text-encoder"])
