"""Contact sheets: what the judge's numbers are about, at a glance.

One row per prompt (the first N prompts of the file that have a clip), middle frames side by side:
the rendered ground truth, the same truth through the package's VAE (encoder + decoder, the best a
generation can look), and the generated clip; with --ends also the generated clip's first and last
frames. A header row names the columns, a label column gives each prompt's id and text.

python -m vidlet_train.contact_sheet --prompts ../tests/fixtures/eval-prompts.json --clips ../.tmp/eval-ig \
    --package ../public/models/vidlet-tiny --n 12 --out ../docs/images/eval-sheet.png [--ends] [--cell 128]

Sizes come from the package's manifest.json (video frames and size for the truth, latent shape
checked against the encoder), so a package with another VAE needs no change here.
"""
from __future__ import annotations

import argparse
import json
import os
import textwrap

import numpy as np

from .judge import PackageVAE, _read_zip, render_truth

HEADER_PX = 14


def middle(n_frames: int) -> int:
    """The middle frame: 8 of 16 (0-based), whatever the count."""
    return n_frames // 2


def _resize(frame: np.ndarray, cell: int) -> np.ndarray:
    from PIL import Image
    if frame.shape[:2] == (cell, cell):
        return frame
    return np.array(Image.fromarray(frame).resize((cell, cell), Image.BILINEAR))


def assemble(rows: list[list[np.ndarray]], cell: int = 128, headers: list[str] | None = None,
             labels: list[str] | None = None, label_px: int = 128) -> np.ndarray:
    """Rows of uint8 frames [H, W, 3] (every row the same length) -> one uint8 image [H', W', 3]:
    cells of cell x cell px, a 1 px gray line between columns, optional header text over the
    columns and label text left of each row."""
    from PIL import Image, ImageDraw

    if not rows:
        raise ValueError("no rows")
    ncol = len(rows[0])
    if any(len(r) != ncol for r in rows):
        raise ValueError("rows of different lengths")
    top = HEADER_PX if headers else 0
    left = label_px if labels else 0
    gap = 1
    width = left + ncol * cell + (ncol - 1) * gap
    sheet = np.full((top + len(rows) * (cell + gap) - gap, width, 3), 128, np.uint8)
    for i, row in enumerate(rows):
        y = top + i * (cell + gap)
        for j, frame in enumerate(row):
            x = left + j * (cell + gap)
            sheet[y:y + cell, x:x + cell] = _resize(frame, cell)
    if not (headers or labels):
        return sheet
    sheet[:top] = 255
    sheet[:, :left] = 255
    img = Image.fromarray(sheet)
    draw = ImageDraw.Draw(img)  # PIL's built-in bitmap font: ~6 px a character, no font files needed
    for j, h in enumerate(headers or []):
        draw.text((left + j * (cell + gap) + 3, 1), h, fill=(0, 0, 0))
    for i, text in enumerate(labels or []):
        lines = textwrap.wrap(text, max(8, label_px // 6 - 1))[: max(1, cell // 11)]
        draw.multiline_text((3, top + i * (cell + gap) + 2), "\n".join(lines), fill=(0, 0, 0), spacing=1)
    return np.array(img)


def build(prompts: list[dict], clips_dir: str, package: str, n: int = 12, cell: int = 128, ends: bool = False,
          labels: bool = True) -> np.ndarray:
    vae = PackageVAE(package)
    frames_n, size = vae.video["frames"], vae.video["height"]
    picked = [p for p in prompts if os.path.exists(os.path.join(clips_dir, f"{p['id']}.zip"))][:n]
    if not picked:
        raise SystemExit(f"no clips for these prompts in {clips_dir}")
    truth = render_truth(picked, frames_n, size)
    through = vae.round_trip_frames(truth)
    rows = []
    for p, t, v in zip(picked, truth, through):
        gen = _read_zip(os.path.join(clips_dir, f"{p['id']}.zip"))
        row = [t[middle(len(t))], v[middle(len(v))], gen[middle(len(gen))]]
        if ends:
            row += [gen[0], gen[-1]]
        rows.append(row)
    headers = ["truth", "truth > VAE", "generated"] + (["gen. first", "gen. last"] if ends else [])
    return assemble(rows, cell, headers if labels else None,
                    [f"{p['id']}: {p['prompt']}" for p in picked] if labels else None)


def save(sheet: np.ndarray, out: str) -> None:
    from PIL import Image
    # 256 colours: flat shapes lose nothing and the file stays small enough to commit
    Image.fromarray(sheet).quantize(256).save(out, optimize=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--clips", required=True, help="folder of <id>.zip clips (scripts/eval-engine.ts --out)")
    ap.add_argument("--package", required=True, help="model package whose VAE makes the middle column")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--cell", type=int, default=128, help="px per cell")
    ap.add_argument("--ends", action="store_true", help="also the generated clip's first and last frames")
    ap.add_argument("--no-labels", action="store_true")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    sheet = build(json.load(open(args.prompts)), args.clips, args.package, args.n, args.cell, args.ends,
                  not args.no_labels)
    save(sheet, args.out)
    print(f"{args.out}: {sheet.shape[1]}x{sheet.shape[0]} px, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
