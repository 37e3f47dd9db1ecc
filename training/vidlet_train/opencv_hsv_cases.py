"""Write tests/fixtures/opencv-hsv-cases.json: RGB pixels and the 8-bit HSV OpenCV gives them
(cvtColor COLOR_BGR2HSV, the conversion PySceneDetect's ContentDetector scores in). The cut
detector's conversion (src/media/hsv.ts) is tested against it (tests/unit/scenes).

python -m vidlet_train.opencv_hsv_cases --out ../tests/fixtures/opencv-hsv-cases.json
"""
from __future__ import annotations

import argparse
import json

import cv2
import numpy as np


def build_pixels(n: int = 1500, seed: int = 0) -> np.ndarray:
    """Random RGB pixels with greys and ties between the largest channels (where the hue rules meet)."""
    rng = np.random.default_rng(seed)
    px = rng.integers(0, 256, (n, 3), dtype=np.uint8)
    k = n // 10
    px[:k, 1] = px[:k, 0]                 # R = G
    px[k:2 * k, 2] = px[k:2 * k, 1]       # G = B
    px[2 * k:3 * k, 2] = px[2 * k:3 * k, 0]  # R = B
    px[3 * k:4 * k, :] = px[3 * k:4 * k, :1]  # greys
    px[4 * k] = (0, 0, 0)
    px[4 * k + 1] = (255, 255, 255)
    return px


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="../tests/fixtures/opencv-hsv-cases.json")
    args = ap.parse_args()
    rgb = build_pixels()
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[None, :, ::-1]), cv2.COLOR_BGR2HSV)[0]
    doc = {"description": f"RGB pixels and OpenCV {cv2.__version__} cvtColor(COLOR_BGR2HSV) on uint8; written by "
                          "training/vidlet_train/opencv_hsv_cases.py.",
           "rgb": rgb.reshape(-1).tolist(), "hsv": hsv.reshape(-1).tolist()}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(rgb)} pixels to {args.out}")


if __name__ == "__main__":
    main()
