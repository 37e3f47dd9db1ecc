"""Converts published open video models (diffusers layout) into Vidlet packages (docs/model-package.md)."""
