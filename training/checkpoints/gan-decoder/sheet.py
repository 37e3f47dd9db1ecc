"""Contact sheet of the generative-decoder ablation (middle frame, 12 of the 144 tuning prompts):
truth, the package's decoder, the same latents through the two adversarially tuned text decoders
(whole-frame discriminator, object-centred one).
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/gan-decoder/sheet.py OUT.png"""
import json, sys
import numpy as np
from PIL import Image, ImageDraw
from vidlet_train.judge import render_truth

P = {p["id"]: p for p in json.load(open("runs/tune-144.json"))}
NAMES = ("gdec-plain", "gdec-text", "gdeccrop-text")
clips = {n: np.load(f"runs/eval-{n}.npz") for n in NAMES}
ids = list(clips["gdec-plain"]["ids"])
sel = list(range(0, 144, 12))
truth = render_truth([P[ids[i]] for i in sel])
rows = [np.concatenate([truth[k][8]] + [clips[n]["frames"][i][8] for n in NAMES], 1) for k, i in enumerate(sel)]
W = len(NAMES) + 1
head = Image.new("RGB", (W * 128, 28), "white")
d = ImageDraw.Draw(head)
for j, name in enumerate(("truth", "package decoder", "GAN, whole frames", "GAN, object crops")):
    d.text((j * 128 + 4, 8), name, fill="black")
sheet = Image.new("RGB", (W * 128 + 260, 28 + 128 * len(rows)), "white")
sheet.paste(head, (0, 0))
d = ImageDraw.Draw(sheet)
for k, (row, i) in enumerate(zip(rows, sel)):
    sheet.paste(Image.fromarray(row), (0, 28 + 128 * k))
    p = P[ids[i]]
    d.text((W * 128 + 6, 28 + 128 * k + 50), f"{p['colour']} {p['shape']}\non {p['background']}, {p['direction']}", fill="black")
sheet.save(sys.argv[1])
