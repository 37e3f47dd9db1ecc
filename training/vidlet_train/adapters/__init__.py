"""LoRA adapters for the Vidlet DiT: runtime injection, DualReal joint training with a
StageBlender, and export to the formats in docs/adapter-format.md."""
