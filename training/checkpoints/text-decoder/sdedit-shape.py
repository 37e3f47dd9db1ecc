"""From which noise level does the shipped DiT finish an outline? One-object solid-background data
clips, noised to t0 and sampled back (8 Euler steps, CFG 3 / IG 2, their own caption), decoded by the
shipped VAE and judged: shape accuracy and object-mask IoU with the rendered clip, by t0.
usage (in training/): PYTHONPATH=. .venv/bin/python checkpoints/text-decoder/sdedit-shape.py N [DIT_PT]"""
import glob, sys
import numpy as np
import torch
from vidlet_train.export import load_dit
from vidlet_train.guidance import plan_guidance
from vidlet_train.judge import judge_clip, to_frames
from vidlet_train.train_text_decoder import sdedit
from vidlet_train.vae import load_vae
from vidlet_train.world import render_clips
from vidlet_train.world.sample import ClipSpec

torch.set_num_threads(2); torch.manual_seed(0)
n = int(sys.argv[1])
sh = torch.load(sorted(glob.glob("runs/data4b/shard-*.pt"))[1], weights_only=False)
emp = torch.load("runs/data4b/empty.pt")
ok = lambda s: len(s["scenes"]) == 1 and len(s["scenes"][0]["objects"]) == 1 and s["scenes"][0]["background"] == "solid"
idx = torch.tensor([i for i, s in enumerate(sh["specs"]) if ok(s)][:n])
vae, dit = load_vae("runs/ship/vae/final.pt"), load_dit(sys.argv[2] if len(sys.argv) > 2 else "runs/ship/dit/final.pt", 4, 16)
plan = plan_guidance(3.0, 2.0)
want = [sh["specs"][i]["scenes"][0]["objects"][0]["shape"] for i in idx.tolist()]
truth = to_frames(render_clips([ClipSpec.from_dict(sh["specs"][i]) for i in idx.tolist()], 16, 128)[0])
def mask(f):
    f = f.astype(np.float32) / 255; b = np.concatenate([f[:, :2].reshape(-1, 3), f[:, -2:].reshape(-1, 3)])
    return np.sqrt(((f - np.median(b, 0)) ** 2).sum(-1)) > 0.25
for t0 in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
    hits, ious = 0, []
    for j in range(0, len(idx), 16):
        b = idx[j:j + 16]
        m = sh["mask"][b, 0].float(); L = int(m.sum(1).max())
        with torch.no_grad():
            z = sh["latent"][b].float() if t0 == 0 else sdedit(
                dit, sh["latent"][b].float(), sh["motion"][b].float(), sh["text"][b, 0, :L].float(), m[:, :L],
                emp["empty_text"][:, :L].float(), emp["empty_mask"][:, :L].float(), torch.full((len(b),), t0), 8, plan)
            fr = to_frames(vae.decoder(z / vae.scale + vae.shift).clamp(-1, 1))
        for k, f in enumerate(fr):
            hits += judge_clip(f)["shape"] == want[j + k]
            a, c = mask(f), mask(truth[j + k]); ious.append((a & c).sum() / max(1, (a | c).sum()))
    print(f"t0 {t0:.1f}: shape {hits / len(idx):.3f}  mask IoU {np.mean(ious):.2f}  (n {len(idx)})", flush=True)
