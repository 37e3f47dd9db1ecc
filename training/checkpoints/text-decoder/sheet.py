"""The contact sheet of this session's two ablations (middle frame, 12 of the 144 tuning prompts):
truth, shipped, shipped latents through the text decoder, truth at 1.35x radii, the DiT tuned on 1.35x.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/text-decoder/sheet.py OUT.png"""
import json, sys
import numpy as np
from PIL import Image, ImageDraw
from vidlet_train.judge import render_truth
from vidlet_train.world import catalog

P = {p["id"]: p for p in json.load(open("runs/tune-144.json"))}
clips = {n: np.load(f"runs/eval-{n}.npz") for n in ("tdec-plain", "tdec-text", "big4000")}
ids = list(clips["tdec-plain"]["ids"])
sel = list(range(0, 144, 12))
truth = render_truth([P[ids[i]] for i in sel])
catalog.OBJECT_RADIUS.update({1: (0.30, 0.46), 2: (0.24, 0.35)})  # the world the big-object DiT was tuned on
truth_big = render_truth([P[ids[i]] for i in sel])
rows = [np.concatenate([truth[k][8], clips["tdec-plain"]["frames"][i][8], clips["tdec-text"]["frames"][i][8],
                        truth_big[k][8], clips["big4000"]["frames"][i][8]], 1) for k, i in enumerate(sel)]
head = Image.new("RGB", (5 * 128, 28), "white")
d = ImageDraw.Draw(head)
for c, label in enumerate(["truth", "shipped", "text decoder", "truth 1.35x", "DiT on 1.35x"]):
    d.text((c * 128 + 6, 8), label, fill="black")
img = Image.new("RGB", (5 * 128, 28 + 128 * len(sel)), "white")
img.paste(head, (0, 0)); img.paste(Image.fromarray(np.concatenate(rows, 0)), (0, 28))
img.save(sys.argv[1])
