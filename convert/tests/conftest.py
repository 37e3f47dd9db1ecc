"""The tiny Wan fixture converted once per test session (tests/test_wan.py, tests/test_ort_web.py)."""
from __future__ import annotations

import pytest

from vidlet_convert.__main__ import main
from vidlet_convert.fixture import make_fixture

FRAMES, HEIGHT, WIDTH, L, SHARD = 9, 32, 32, 16, 64 * 1024


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    src = str(tmp_path_factory.mktemp("wan-tiny"))
    out = str(tmp_path_factory.mktemp("pkg"))
    make_fixture(src, seed=0)
    rc = main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width",
               str(WIDTH), "--max-length", str(L), "--steps", "4", "--shard-bytes", str(SHARD), "--name", "wan-tiny"])
    assert rc == 0
    return src, out


