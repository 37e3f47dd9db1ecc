"""Scratch ablation: the package's own sampling (int8, defaults), its final latents decoded twice —
by the package's VAE decoder and by a TextDecoder reading the prompt — and both judged.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/text-decoder/eval-tdec.py PACKAGE PROMPTS TDEC_PT OUT_PREFIX [N]"""
import json, sys, time
import numpy as np
import torch
from vidlet_train.evaluate import Package
from vidlet_train.judge import judge_clip, score, summarise
from vidlet_train.text_decoder import TextDecoder
from vidlet_train.vae import VAEConfig, load_vae

folder, prompts_path, tdec_path, out = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 10 ** 9
torch.set_num_threads(2)
pkg = Package(folder, "int8")
ck = torch.load(tdec_path, weights_only=False)
td = TextDecoder(VAEConfig(**ck["vae_cfg"])); td.load_state_dict(ck["decoder"]); td.eval()
vae = load_vae(ck["vae"])


class Capture:  # the package's vaeDecoder session, keeping each latent it decodes
    def __init__(self, sess):
        self.sess, self.latents = sess, []

    def run(self, names, feeds):
        self.latents.append(feeds["latent"])
        return self.sess.run(names, feeds)


cap = Capture(pkg.sess["vaeDecoder"]); pkg.sess["vaeDecoder"] = cap
prompts = json.load(open(prompts_path))[:n]
rows = {"plain": [], "text": []}
frames_all = {"plain": [], "text": []}
t0 = time.time()
to_u8 = lambda v: ((np.transpose(v, (1, 2, 3, 0)) + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
for i in range(0, len(prompts), 8):
    chunk = prompts[i:i + 8]
    cap.latents.clear()
    plain = pkg.generate([p["prompt"] for p in chunk], [p["seed"] for p in chunk])
    text, mask = pkg.encode_text([p["prompt"] for p in chunk])
    with torch.no_grad():
        z = torch.from_numpy(np.concatenate(cap.latents)) / vae.scale + vae.shift
        dec = td(z, torch.from_numpy(text), torch.from_numpy(mask)).clamp(-1, 1).numpy()
    for p, fp, ft in zip(chunk, plain, dec):
        want = {k: p[k] for k in ("colour", "shape", "background", "direction")}
        for name, f in (("plain", fp), ("text", to_u8(ft))):
            seen = judge_clip(f)
            rows[name].append({"id": p["id"], "prompt": p["prompt"], "want": want, "seen": seen, "correct": score(seen, want)})
            frames_all[name].append(f)
    print(len(rows["plain"]), {k: summarise(r) for k, r in rows.items()}, f"{time.time() - t0:.0f}s", flush=True)
for name in rows:
    json.dump({"summary": summarise(rows[name]), "rows": rows[name]}, open(f"{out}-{name}.json", "w"), indent=1)
    np.savez_compressed(f"{out}-{name}.npz", frames=np.stack(frames_all[name]), ids=[r["id"] for r in rows[name]])
