"""Contact sheet of the generative-decoder ablation (middle frame, 12 of the 144 tuning prompts):
truth, the package's decoder, the same latents through the adversarially tuned text decoder.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/sheet.py OUT.png"""
import json, sys
import numpy as np
from PIL import Image, ImageDraw
from vidlet_train.judge import render_truth

P = {p["id"]: p for p in json.load(open("runs/tune-144.json"))}
clips = {n: np.load(f"runs/eval-{n}.npz") for n in ("gdec-plain", "gdec-text")}
ids = list(clips["gdec-plain"]["ids"])
sel = list(range(0, 144, 12))
truth = render_truth([P[ids[i]] for i in sel])
rows = [np.concatenate([truth[k][8], clips["gdec-plain"]["frames"][i][8], clips["gdec-text"]["frames"][i][8]], 1)
        for k, i in enumerate(sel)]
head = Image.new("RGB", (3 * 128, 28), "white")
d = ImageDraw.Draw(head)
for j, name in enumerate(("truth", "package decoder", "GAN text decoder")):
    d.text((j * 128 + 4, 8), name, fill="black")
sheet = Image.new("RGB", (3 * 128 + 260, 28 + 128 * len(rows)), "white")
sheet.paste(head, (0, 0))
d = ImageDraw.Draw(sheet)
for k, (row, i) in enumerate(zip(rows, sel)):
    sheet.paste(Image.fromarray(row), (0, 28 + 128 * k))
    p = P[ids[i]]
    d.text((3 * 128 + 6, 28 + 128 * k + 50), f"{p['colour']} {p['shape']}\non {p['background']}, {p['direction']}", fill="black")
sheet.save(sys.argv[1])
