"""Split a file into numbered parts no larger than a size limit, and join them back (checked by sha256).

The GPU machine returns at most 8 files of 16 MiB each (training/gpu/README.md), so a checkpoint
leaves it as parts:

    python -m vidlet_train.parts split runs/x/compact.pt OUT/ckpt --mib 15   # OUT/ckpt.part00, ... + OUT/ckpt.sha256
    python -m vidlet_train.parts join OUT/ckpt checkpoints/x.pt              # checks the sha256
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os


def split(src: str, prefix: str, mib: float = 15) -> list[str]:
    size = int(mib * 1024 * 1024)
    h, parts = hashlib.sha256(), []
    with open(src, "rb") as f:
        while chunk := f.read(size):
            h.update(chunk)
            path = f"{prefix}.part{len(parts):02d}"
            with open(path, "wb") as g:
                g.write(chunk)
            parts.append(path)
    with open(prefix + ".sha256", "w") as g:
        g.write(f"{h.hexdigest()}  {os.path.basename(src)}  {len(parts)} parts\n")
    return parts


def join(prefix: str, dst: str) -> str:
    parts = sorted(glob.glob(glob.escape(prefix) + ".part[0-9][0-9]"))
    if not parts:
        raise FileNotFoundError(f"no {prefix}.partNN")
    want = open(prefix + ".sha256").read().split()
    if int(want[2]) != len(parts):
        raise ValueError(f"{prefix}: {len(parts)} parts, the .sha256 says {want[2]}")
    h = hashlib.sha256()
    with open(dst + ".tmp", "wb") as g:
        for p in parts:
            data = open(p, "rb").read()
            h.update(data)
            g.write(data)
    if h.hexdigest() != want[0]:
        os.remove(dst + ".tmp")
        raise ValueError(f"{prefix}: sha256 {h.hexdigest()} is not {want[0]}")
    os.replace(dst + ".tmp", dst)
    return dst


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split"); s.add_argument("src"); s.add_argument("prefix"); s.add_argument("--mib", type=float, default=15)
    j = sub.add_parser("join"); j.add_argument("prefix"); j.add_argument("dst")
    args = ap.parse_args(argv)
    if args.cmd == "split":
        print("\n".join(split(args.src, args.prefix, args.mib)))
    else:
        print(join(args.prefix, args.dst))


if __name__ == "__main__":
    main()
