"""Generate clips from an exported model package with onnxruntime, the way the engine does
(tokenizer -> text encoder -> Euler flow-matching loop with CFG / VideoJAM Inner-Guidance, all
passes batched in one denoiser call per step -> VAE decoder), and score them with the judge on the held-out prompts.

python -m vidlet_train.evaluate --package ../public/models/vidlet-tiny --prompts ../tests/fixtures/eval-prompts.json \
    --variant int8 --out runs/eval-int8.json [--n 200] [--frames-out runs/eval-frames.npz] \
    [--steps 20] [--guidance 5] [--inner-guidance 3]

--guidance is the CFG scale w (1 = off) and --inner-guidance VideoJAM's w2 (0 = off), exactly as the
manifest's defaultGuidance / defaultInnerGuidance and the engine's `guidance` / `innerGuidance`
(docs/model-package.md); the combination is guidance.py's, the engine's guidance.ts mirrors it.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
import torch

from .guidance import COND, CONTRAST, MOTION_DROPPED, UNCOND, combine_pass_major, plan_guidance
from .graph_io import SCENE_DENOISER, denoiser_for, denoiser_takes_frame_mask, has_scene_denoiser, is_per_scene, sees_global_caption
from .judge import judge_clip, score, summarise
from .scenes import FRAMES_PER_LATENT, joined_caption, latent_scene_lengths, scene_text, text_frame_mask, unconditional_text
from .text_encoder import Tokenizer
from .world import prompt_contrast, prompt_lexicon


class Package:
    def __init__(self, folder: str, variant: str = "fp32", threads: int = 2):
        self.folder = folder
        self.m = json.load(open(os.path.join(folder, "manifest.json")))
        if has_scene_denoiser(self.m) and not is_per_scene(self.m):
            raise ValueError(f"{folder}: a sceneDenoiser needs scenes.conditioning \"per-scene\" (docs/model-package.md)")
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        self.sess = {}
        for name in ("textEncoder", "denoiser", "vaeDecoder", "previewDecoder") + ((SCENE_DENOISER,) if has_scene_denoiser(self.m) else ()):
            comp = self.m["components"][name]
            v = comp["variants"].get(variant) or comp["variants"]["fp32"]
            self.sess[name] = ort.InferenceSession(os.path.join(folder, v["files"][0]["path"]), so,
                                                   providers=["CPUExecutionProvider"])
        self.tok = Tokenizer(self.m["text"]["maxLength"])
        lexicon = self.m["text"].get("lexicon")
        self.lexicon = prompt_lexicon.table(os.path.join(folder, lexicon)) if lexicon else None
        contrast = self.m["text"].get("contrast")
        self.contrast = prompt_contrast.table(os.path.join(folder, contrast)) if contrast else None

    def read(self, prompt: str) -> str:
        """The prompt as the text encoder reads it: colour names through the package's lexicon
        (src/engine/prompt-lexicon.ts)."""
        return prompt_lexicon.rewrite(prompt, *self.lexicon)[0] if self.lexicon else prompt

    def contrast_reading(self, prompt: str) -> str | None:
        """The read prompt with its object nouns neutral (src/engine/prompt-contrast.ts), or None."""
        return prompt_contrast.contrast_prompt(self.read(prompt), self.contrast) if self.contrast else None

    def encode_text(self, prompts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every text the text encoder reads, as the engine does (read())."""
        prompts = [self.read(p) for p in prompts]
        ids, mask = self.tok(prompts)
        h = self.sess["textEncoder"].run(["hidden"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
        return h, mask.numpy().astype(np.float32)

    def generate(self, prompts: list[str], seeds: list[int], steps: int | None = None, guidance: float | None = None,
                 inner_guidance: float | None = None, shift: float | None = None, contrast: float | None = None) -> np.ndarray:
        """-> uint8 frames [N, F, H, W, 3]. `guidance` is the CFG scale w (1 = off), `inner_guidance`
        VideoJAM's w2 (0 = off), `contrast` contrast guidance's w3 (0 = off), as in the manifest and
        the engine (guidance.py); None = manifest default."""
        sch = self.m["schedule"]
        steps = steps or sch["defaultSteps"]
        guidance = sch["defaultGuidance"] if guidance is None else guidance
        inner_guidance = sch["defaultInnerGuidance"] if inner_guidance is None else inner_guidance
        contrast = sch.get("defaultContrast", 0.0) if contrast is None else contrast
        readings = [self.contrast_reading(p) for p in prompts]
        if not any(readings):
            contrast = 0.0  # the engine plans no contrast pass for a prompt without one
        plan = plan_guidance(guidance, inner_guidance, has_motion="motion" in self.m, contrast=contrast)
        lat = self.m["latent"]
        shape = (lat["channels"], lat["frames"], lat["height"], lat["width"])
        n = len(prompts)
        text, mask = self.encode_text(prompts)
        empty, empty_mask = self.encode_text([""])
        # one denoiser call per step holds every pass, pass-major: [cond×n, uncond×n, motionDropped×n]
        texts = {COND: (text, mask), UNCOND: (np.repeat(empty, n, 0), np.repeat(empty_mask, n, 0)),
                 MOTION_DROPPED: (text, mask)}
        if CONTRAST in plan.passes:
            # a prompt without a reading contrasts with itself: w3 · 0, as the engine's missing pass
            texts[CONTRAST] = self.encode_text([r or p for p, r in zip(prompts, readings)])
        # a per-scene denoiser always takes text_frame_mask: one scene, every frame sees every token
        extra = {"text_frame_mask": np.ones((n, shape[1], text.shape[1]), np.float32)} if denoiser_takes_frame_mask(self.m) else None
        return self._sample("denoiser", shape, seeds, texts, plan, steps, sch["shift"] if shift is None else shift, extra)

    def _sample(self, denoiser: str, shape, seeds: list[int], texts: dict, plan, steps: int, s: float, extra: dict | None = None):
        """The Euler loop on component `denoiser`, and the decode: texts[pass] = (text, mask) for the
        n clips; extra: inputs every pass shares, per clip (text_frame_mask of a per-scene graph)."""
        n = len(seeds)
        x = np.stack([torch.randn(shape, generator=torch.Generator().manual_seed(sd)).numpy() for sd in seeds])
        d = np.stack([torch.randn(shape, generator=torch.Generator().manual_seed(sd + 1)).numpy() for sd in seeds])
        lo = self.m["lora"]
        S, D, P, R, C = len(lo["slots"]), lo["depth"], len(lo["targets"]), lo["rank"], lo["width"]
        down, up = np.zeros((S, D, P, R, C), np.float32), np.zeros((S, D, P, C, R), np.float32)
        ts = np.linspace(1.0, 0.0, steps + 1)
        ts = s * ts / (1 + (s - 1) * ts)
        B = len(plan.passes)
        for i in range(steps):
            t = ts[i]
            feeds = {
                "latent": np.concatenate([x] * B).astype(np.float32),
                "motion": np.concatenate([d] * B).astype(np.float32),
                "timestep": np.full(n * B, t, np.float32),
                "text": np.concatenate([texts[p][0] for p in plan.passes]),
                "text_mask": np.concatenate([texts[p][1] for p in plan.passes]),
                "motion_flag": np.concatenate([np.full(n, 0.0 if p == MOTION_DROPPED else 1.0) for p in plan.passes]).astype(np.float32),
                "lora_scales": np.zeros((n * B, S, D), np.float32), "lora_down": down, "lora_up": up,
            }
            for k, v in (extra or {}).items():
                feeds[k] = np.concatenate([v] * B).astype(np.float32)  # the same for every pass
            vx, vd = self.sess[denoiser].run(["v_latent", "v_motion"], feeds)
            dt = ts[i] - ts[i + 1]
            x, d = x - dt * combine_pass_major(vx, plan, n), d - dt * combine_pass_major(vd, plan, n)
        frames = []
        for j in range(n):
            v = self.sess["vaeDecoder"].run(["video"], {"latent": x[j:j + 1].astype(np.float32)})[0][0]
            frames.append(((np.transpose(v, (1, 2, 3, 0)) + 1) * 127.5).round().clip(0, 255).astype(np.uint8))
        return np.stack(frames)

    def generate_scenes(self, texts: list[str], frames: list[int], seed: int, steps: int | None = None,
                        guidance: float | None = None, inner_guidance: float | None = None) -> np.ndarray:
        """One clip of a scene plan -> uint8 frames [F, H, W, 3], as the engine makes it
        (src/engine/scene-request.ts): a per-scene package conditions each scene on its own text
        (scenes.py) on the graph denoiser_for picks; any other gets the joined caption and makes one
        clip of its own length, and so does the plain denoiser of a package with a sceneDenoiser (one
        scene of the package's length, as a prompt without a plan)."""
        caption = joined_caption(texts)
        denoiser = denoiser_for(self.m, frames)
        if denoiser == "denoiser" and not denoiser_takes_frame_mask(self.m):  # a graph without text_frame_mask
            return self.generate([caption], [seed], steps, guidance, inner_guidance)[0]
        sch = self.m["schedule"]
        steps = steps or sch["defaultSteps"]
        guidance = sch["defaultGuidance"] if guidance is None else guidance
        inner_guidance = sch["defaultInnerGuidance"] if inner_guidance is None else inner_guidance
        plan = plan_guidance(guidance, inner_guidance, has_motion="motion" in self.m)
        lat, L = self.m["latent"], self.m["text"]["maxLength"]
        if self.m["video"]["frames"] != FRAMES_PER_LATENT * lat["frames"]:
            raise ValueError(f"{self.folder}: {self.m['video']['frames']} frames in {lat['frames']} latent frames; "
                             f"scenes.py assumes {FRAMES_PER_LATENT} per latent frame")
        layout = latent_scene_lengths(frames)
        shape = (lat["channels"], sum(layout), lat["height"], lat["width"])
        h, m = self.encode_text([caption] + (texts if len(texts) > 1 else []))
        hidden, mask = scene_text(torch.from_numpy(h[0]), torch.from_numpy(m[0]),
                                  [torch.from_numpy(x) for x in h[1:]], [torch.from_numpy(x) for x in m[1:]])
        eh, em = self.encode_text([""])
        uh, um = unconditional_text(torch.from_numpy(eh[0]), torch.from_numpy(em[0]), len(texts))
        cond = (hidden[None].numpy(), mask[None].numpy())
        texts_by_pass = {COND: cond, UNCOND: (uh[None].numpy(), um[None].numpy()), MOTION_DROPPED: cond}
        fmask = text_frame_mask(layout, L, sees_global_caption(self.m))[None].numpy()
        return self._sample(denoiser, shape, [seed], texts_by_pass, plan, steps, sch["shift"], {"text_frame_mask": fmask})[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", default="../public/models/vidlet-tiny")
    ap.add_argument("--prompts", default="../tests/fixtures/eval-prompts.json")
    ap.add_argument("--variant", default="fp32")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--guidance", type=float, default=None,
                    help="CFG scale w, 1 = off (default: manifest schedule.defaultGuidance); Inner-Guidance uses w1 = w - 1")
    ap.add_argument("--inner-guidance", type=float, default=None,
                    help="VideoJAM Inner-Guidance w2, 0 = off (default: manifest schedule.defaultInnerGuidance)")
    ap.add_argument("--shift", type=float, default=None, help="timestep shift (default: the manifest's schedule.shift)")
    ap.add_argument("--contrast", type=float, default=None,
                    help="contrast guidance w3, 0 = off (default: manifest schedule.defaultContrast, else 0)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--out")
    ap.add_argument("--frames-out")
    ap.add_argument("--grid-out", help="PNG: every 5th frame of the first 8 clips, one row per clip")
    args = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    pkg = Package(args.package, args.variant)
    prompts = json.load(open(args.prompts))[:args.n]
    rows, all_frames = [], []
    for i in range(0, len(prompts), args.batch):
        chunk = prompts[i:i + args.batch]
        frames = pkg.generate([p["prompt"] for p in chunk], [p["seed"] for p in chunk], args.steps, args.guidance, args.inner_guidance,
                              args.shift, args.contrast)
        for p, f in zip(chunk, frames):
            seen = judge_clip(f)
            want = {k: p[k] for k in ("colour", "shape", "background", "direction")}
            rows.append({"id": p["id"], "prompt": p["prompt"], "want": want, "seen": seen, "correct": score(seen, want)})
        if args.frames_out:
            all_frames.append(frames)
        print(f"{len(rows)}/{len(prompts)} {json.dumps(summarise(rows))} {time.time() - t0:.0f}s", flush=True)
    summary = summarise(rows) | {"variant": args.variant, "wall_s": round(time.time() - t0)}
    if args.out:
        json.dump({"summary": summary, "rows": rows}, open(args.out, "w"), indent=1)
    if args.frames_out:
        np.savez_compressed(args.frames_out, frames=np.concatenate(all_frames), ids=[r["id"] for r in rows])
    if args.grid_out:
        from PIL import Image
        clips = np.concatenate(all_frames)[:8] if args.frames_out else frames[:8]
        rows_img = [np.concatenate(list(c[::5]), 1) for c in clips]
        Image.fromarray(np.concatenate(rows_img, 0)).save(args.grid_out)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
