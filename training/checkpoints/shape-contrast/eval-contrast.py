"""Scratch ablation: does amplifying what the shape word alone adds to the velocity draw the asked
shape? A fourth pass per step reads the prompt with its shape noun replaced by a neutral word, and
    v = guided(v) + w3 · (v(y) − v(y_neutral))
(composable-diffusion / negative-prompt arithmetic aimed at one attribute). The 144 tuning prompts,
the shipped int8 package, its default CFG 3 / IG 2 and 20 steps.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/shape-contrast/eval-contrast.py W3 [NEUTRAL] [T_LO T_HI]"""
import json, os, re, sys, time
import numpy as np
from vidlet_train import evaluate as ev
from vidlet_train.guidance import COND, combine_pass_major, plan_guidance
from vidlet_train.judge import judge_clip, score, summarise
from vidlet_train.world.captions import shape_words
from vidlet_train.world.catalog import SHAPES

w3 = float(sys.argv[1]); cfg = float(os.environ.get("CFG", 3)); neutral = sys.argv[2] if len(sys.argv) > 2 else "shape"
t_lo, t_hi = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (0.0, 1.0)
words = sorted({w for s in SHAPES for w in shape_words(s)}, key=len, reverse=True)
pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")(e?s)?\b", re.I)
import random
_names = sorted(SHAPES)
def neutralise(p):
    if neutral != "other":
        return pattern.sub(neutral, p)
    r = random.Random(p)  # a different shape's own word, the same one for every step of this prompt
    def swap(m):
        mine = [s for s in _names if m.group(1).lower() in shape_words(s)]
        return r.choice([s for s in _names if s not in mine])
    return pattern.sub(swap, p)

class Contrast(ev.Package):
    def run_denoiser(self, feeds):
        return self.sess["denoiser"].run(["v_latent", "v_motion"], feeds)

    def generate_contrast(self, prompts, seeds, steps=20):
        plan = plan_guidance(cfg, 2.0)
        n, lat = len(prompts), self.m["latent"]
        shape = (lat["channels"], lat["frames"], lat["height"], lat["width"])
        text, mask = self.encode_text(prompts)
        neut, nmask = self.encode_text([neutralise(p) for p in prompts])
        empty, em = self.encode_text([""])
        L = max(text.shape[1], neut.shape[1])
        texts = {ev.COND: (text, mask), ev.UNCOND: (np.repeat(empty, n, 0), np.repeat(em, n, 0)), ev.MOTION_DROPPED: (text, mask),
                 "neutral": (neut, nmask)}
        passes = plan.passes + ("neutral",)
        x = np.stack([ev.torch.randn(shape, generator=ev.torch.Generator().manual_seed(sd)).numpy() for sd in seeds])
        d = np.stack([ev.torch.randn(shape, generator=ev.torch.Generator().manual_seed(sd + 1)).numpy() for sd in seeds])
        lo = self.m["lora"]
        S, D, P, R, C = len(lo["slots"]), lo["depth"], len(lo["targets"]), lo["rank"], lo["width"]
        down, up = np.zeros((S, D, P, R, C), np.float32), np.zeros((S, D, P, C, R), np.float32)
        s = self.m["schedule"]["shift"]
        ts = np.linspace(1.0, 0.0, steps + 1); ts = s * ts / (1 + (s - 1) * ts)
        B = len(passes)
        for i in range(steps):
            feeds = {"latent": np.concatenate([x] * B).astype(np.float32), "motion": np.concatenate([d] * B).astype(np.float32),
                     "timestep": np.full(n * B, ts[i], np.float32),
                     "text": np.concatenate([texts[p][0] for p in passes]), "text_mask": np.concatenate([texts[p][1] for p in passes]),
                     "motion_flag": np.concatenate([np.full(n, 0.0 if p == ev.MOTION_DROPPED else 1.0) for p in passes]).astype(np.float32),
                     "lora_scales": np.zeros((n * B, S, D), np.float32), "lora_down": down, "lora_up": up}
            vx, vd = self.run_denoiser(feeds)
            k = len(plan.passes)
            w = w3 if t_lo <= ts[i] <= t_hi else 0.0
            gx = combine_pass_major(vx[:k * n], plan, n) + w * (vx[:n] - vx[k * n:])
            gd = combine_pass_major(vd[:k * n], plan, n) + w * (vd[:n] - vd[k * n:])
            dt = ts[i] - ts[i + 1]
            x, d = x - dt * gx, d - dt * gd
        out = []
        for j in range(n):
            v = self.sess["vaeDecoder"].run(["video"], {"latent": x[j:j + 1].astype(np.float32)})[0][0]
            out.append(((np.transpose(v, (1, 2, 3, 0)) + 1) * 127.5).round().clip(0, 255).astype(np.uint8))
        return np.stack(out)

ev.torch.set_num_threads(2)
import os
pkg = Contrast(os.environ.get("PKG", "../public/models/vidlet-tiny"), "int8")
prompts = json.load(open("runs/tune-144.json"))
print("e.g.", neutralise(prompts[0]["prompt"]), "|", neutralise(prompts[5]["prompt"]))
rows, frames, t0 = [], [], time.time()
for i in range(0, len(prompts), 8):
    ch = prompts[i:i + 8]
    fr = pkg.generate_contrast([p["prompt"] for p in ch], [p["seed"] for p in ch])
    for p, f in zip(ch, fr):
        seen = judge_clip(f); want = {k: p[k] for k in ("colour", "shape", "background", "direction")}
        rows.append({"id": p["id"], "want": want, "seen": seen, "correct": score(seen, want)})
    frames.append(fr)
tag = os.environ.get("TAG", "") + f"contrast-c{cfg:g}-w{w3:g}-{neutral}-{t_lo:g}-{t_hi:g}"
np.savez_compressed(f"runs/eval-{tag}.npz", frames=np.concatenate(frames), ids=[r["id"] for r in rows])
json.dump({"summary": summarise(rows), "rows": rows}, open(f"runs/eval-{tag}.json", "w"))
print(tag, json.dumps(summarise(rows)), f"{time.time() - t0:.0f}s")
