"""Writes the cross-language test fixture: a tiny adapter and blender table made by *this*
package's exporter, read back by the engine's unit tests (tests/unit/adapters/fixture.test.ts),
so the Python writer and the TypeScript reader cannot drift apart unnoticed.

    training/.venv/bin/python -m vidlet_train.adapters.fixture tests/unit/adapters/fixtures

Values are formulas (no randomness), and the TS test recomputes them:
A[d,p][i,j] = (d+1)/8 + p/16 + i/32 − j/64 and B[d,p][i,j] = j/4 − i/8 − (d+p)/2
(dyadic, so exact in float32 and bfloat16), rank 2, alpha 3, depth 2, width 8, 4 targets.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from .export import export_adapter, export_blender_table, write_safetensors
from .lora import TARGETS
from .slots import slot_tensors

DEPTH, WIDTH, RANK, ALPHA = 2, 8, 2, 3.0


def fixture_tensors() -> dict:
    out = {}
    i_r = torch.arange(RANK, dtype=torch.float32)[:, None]
    j_c = torch.arange(WIDTH, dtype=torch.float32)[None, :]
    i_c = torch.arange(WIDTH, dtype=torch.float32)[:, None]
    j_r = torch.arange(RANK, dtype=torch.float32)[None, :]
    for d in range(DEPTH):
        for p, target in enumerate(TARGETS):
            out[f"blocks.{d}.{target}.lora_A.weight"] = (d + 1) / 8 + p / 16 + i_r / 32 - j_c / 64
            out[f"blocks.{d}.{target}.lora_B.weight"] = j_r / 4 - i_c / 8 - (d + p) / 2
    return out


def main(out_dir: str) -> None:
    out = Path(out_dir)
    tensors = fixture_tensors()
    export_adapter(
        out, "fixture-pip", "identity", tensors, rank=RANK, alpha=ALPHA, base_model="vidlet-fixture",
        trigger_words=["pip"], recommended_strength=0.75, training={"note": "formula values, not trained"},
    )
    # The same weights in bfloat16, as PEFT and mixed-precision trainers often save them.
    write_safetensors(
        out / "fixture-pip.bf16.safetensors",
        {k: v.to(torch.bfloat16) for k, v in tensors.items()},
        {"rank": str(RANK), "alpha": str(ALPHA), "base_model": "vidlet-fixture"},
    )
    # The slot rows Python builds from that file for a model with slot rank 4 (slots.py): the TS
    # loader must produce exactly these ([D,P,R,C] / [D,P,C,R] of one slot).
    down, up = slot_tensors([out / "fixture-pip.safetensors"], DEPTH, 4, WIDTH)
    write_safetensors(out / "fixture-pip.slots.safetensors", {"down": down[0], "up": up[0]}, {"slot_rank": "4"})
    alpha = torch.tensor([[1.75, 1.5], [1.0, 0.5], [0.25, 0.125]])
    export_blender_table(
        out / "fixture.blender.json", "vidlet-fixture", "fixture-pip", "fixture-motion", 2.0, DEPTH,
        [[0], [1]], [0.0, 0.5, 1.0], alpha,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/unit/adapters/fixtures")
