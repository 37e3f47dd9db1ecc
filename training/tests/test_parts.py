import os

import pytest

from vidlet_train.parts import join, split


def test_split_join_round_trip(tmp_path):
    src = tmp_path / "ck.pt"
    src.write_bytes(os.urandom(2_500_000))
    parts = split(str(src), str(tmp_path / "ck"), mib=1)
    assert len(parts) == 3 and all(os.path.getsize(p) <= 1024 * 1024 for p in parts)
    out = join(str(tmp_path / "ck"), str(tmp_path / "back.pt"))
    assert open(out, "rb").read() == src.read_bytes()


def test_join_refuses_a_damaged_part(tmp_path):
    src = tmp_path / "ck.pt"
    src.write_bytes(os.urandom(1_500_000))
    parts = split(str(src), str(tmp_path / "ck"), mib=1)
    with open(parts[1], "r+b") as f:
        f.write(b"x")
    with pytest.raises(ValueError):
        join(str(tmp_path / "ck"), str(tmp_path / "back.pt"))
    os.remove(parts[1])
    with pytest.raises(ValueError):
        join(str(tmp_path / "ck"), str(tmp_path / "back.pt"))
