"""A programmatic judge of prompt following: colour, shape, background and motion direction of
the main object in a generated clip, for prompts with one object on a solid background.

It segments the object against the background (the median colour of the clip's border), names
colours by the nearest catalogue colour, classifies the silhouette by IoU against the catalogue's
shapes (unrotated, as every motion starts), and reads the direction from the centroid's path.

python -m vidlet_train.judge --clips DIR --prompts ../tests/fixtures/eval-prompts.json \
    [--out scores.json] [--markdown scores.md]
  DIR holds <id>.zip files (PNG frames + settings.json) written by `vidlet generate`.
python -m vidlet_train.judge --selftest 200   # the judge on rendered ground truth (random scenes)
python -m vidlet_train.judge --selftest 200 --prompts ../tests/fixtures/eval-prompts.json \
    [--through-vae ../public/models/vidlet-tiny]   # ground truth of the eval prompts themselves

Besides the accuracies, the output holds a want x seen confusion matrix per attribute (`--out`
JSON, `--markdown` tables ready for a model card) and a roughness figure (`roughness`) for the
judged clips next to the same for the rendered ground truth of the same prompts
(`roughness_truth`), whose ratio says whether a model draws noise/edges its data never had.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import zipfile

import numpy as np
import torch

from .world.catalog import COLOURS, MOTION_DIRECTION, SHAPES, object_radius
from .world.sample import ClipSpec, ObjectSpec, SceneSpec, _start_position, direction_of
from .world.shapes import SHAPE_FUNCS

_NAMES = list(COLOURS)
_RGB = np.array([COLOURS[c][0] for c in _NAMES])
_TEMPLATE_SIZE = 32
_MOVE_PX = 10  # a centroid travelling less than this (of 128 px) counts as no direction


def nearest_colour(rgb: np.ndarray) -> str:
    return _NAMES[int(np.argmin(((_RGB - rgb[None]) ** 2).sum(1)))]


def _square_crop(mask: np.ndarray, size: int = _TEMPLATE_SIZE) -> np.ndarray | None:
    ys, xs = np.nonzero(mask)
    if len(ys) < 12:
        return None
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2 + 1
    g = (np.arange(size) + 0.5) / size * 2 - 1
    yy = np.clip(np.round(cy + g[:, None] * half), 0, mask.shape[0] - 1).astype(int)
    xx = np.clip(np.round(cx + g[None, :] * half), 0, mask.shape[1] - 1).astype(int)
    inside = (np.abs(cy + g[:, None] * half - yy) < 1) & (np.abs(cx + g[None, :] * half - xx) < 1)
    return mask[yy, xx] & inside


def _templates() -> dict[str, list[np.ndarray]]:
    out = {}
    lin = (torch.arange(96) + 0.5) / 96 * 2.6 - 1.3
    Y, X = torch.meshgrid(lin, lin, indexing="ij")
    for name, fn in SHAPE_FUNCS.items():
        out[name] = []
        for k in (-1, 0, 1):  # small tilts only
            th = torch.tensor(2 * math.pi * k / 48)
            u = torch.cos(th) * X + torch.sin(th) * Y
            v = -torch.sin(th) * X + torch.cos(th) * Y
            m, _ = fn(u, v)
            crop = _square_crop(m.numpy())
            if crop is not None:
                out[name].append(crop)
    return out


_TEMPLATES: dict[str, list[np.ndarray]] | None = None


def classify_shape(mask: np.ndarray) -> str | None:
    global _TEMPLATES
    if _TEMPLATES is None:
        _TEMPLATES = _templates()
    crop = _square_crop(mask)
    if crop is None:
        return None
    best, best_iou = None, -1.0
    for name, temps in _TEMPLATES.items():
        for t in temps:
            iou = (crop & t).sum() / max(1, (crop | t).sum())
            if iou > best_iou:
                best, best_iou = name, iou
    return best


def object_colour(pix: np.ndarray) -> str:
    """The name of an object's colour from its pixels [N, 3]: the most common named colour, unless
    that is a darker shade of another common one (icons carry details drawn as shades of their
    colour, such as a phone's screen, which covers most of a phone). Not the brightest pixels: on a
    brighter background the brightest are blends of object and background."""
    names = np.argmin(((pix[:, None] - _RGB[None]) ** 2).sum(-1), 1)
    counts = np.bincount(names, minlength=len(_NAMES))
    order = [int(i) for i in np.argsort(-counts) if counts[i] > 0]
    first = np.median(pix[names == order[0]], 0)
    for i in order[1:]:
        if counts[i] < 0.15 * len(pix):
            break
        other = np.median(pix[names == i], 0)
        k = float(first @ other) / max(float(other @ other), 1e-6)
        if k < 0.75 and np.abs(first - k * other).max() < 0.08:
            return _NAMES[i]  # the most common colour is a shade (detail) of this one
    return nearest_colour(first)


def _eroded(masks: np.ndarray) -> np.ndarray:
    """[F, H, W] bool -> pixels whose four neighbours are all in the mask (image borders count as out)."""
    m = np.pad(masks, ((0, 0), (1, 1), (1, 1)))
    return masks & m[:, :-2, 1:-1] & m[:, 2:, 1:-1] & m[:, 1:-1, :-2] & m[:, 1:-1, 2:]


def judge_clip(frames: np.ndarray) -> dict:
    """frames [F, H, W, 3] uint8 -> what the judge sees: colour, shape, background, direction."""
    f = frames.astype(np.float32) / 255
    n, h, w, _ = f.shape
    border = np.concatenate([f[:, :2].reshape(-1, 3), f[:, -2:].reshape(-1, 3),
                             f[:, :, :2].reshape(-1, 3), f[:, :, -2:].reshape(-1, 3)])
    bg = np.median(border, 0)
    dist = np.sqrt(((f - bg) ** 2).sum(-1))
    masks = dist > 0.25
    areas = masks.reshape(n, -1).sum(1)
    visible = areas >= 12
    res = {"background": nearest_colour(bg), "colour": None, "shape": None, "direction": None}
    if not visible.any():
        return res
    # the object's own colour from its core: a decoded edge is a blend of object and background
    # (green on orange edges read brown), so drop mask pixels with a neighbour outside the mask,
    # unless that leaves too little (thin rings and arrows)
    core = _eroded(masks)
    res["colour"] = object_colour(f[core] if core.sum() >= 12 else f[masks])
    # shape from the first frame showing most of the object: every motion starts unrotated, and
    # the templates are unrotated too, so a square and a diamond stay apart
    full = np.nonzero(areas >= 0.8 * areas.max())[0]
    res["shape"] = classify_shape(masks[int(full[0])])
    ys, xs = np.mgrid[0:h, 0:w]
    cents = [((xs * m).sum() / m.sum(), (ys * m).sum() / m.sum()) for m, v in zip(masks, visible) if v]
    dx, dy = cents[-1][0] - cents[0][0], cents[-1][1] - cents[0][1]
    if max(abs(dx), abs(dy)) < _MOVE_PX * w / 128:
        res["direction"] = "none"
    elif abs(dx) >= abs(dy):
        res["direction"] = "right" if dx > 0 else "left"
    else:
        res["direction"] = "down" if dy > 0 else "up"
    return res


def coherence(frames: np.ndarray) -> dict:
    """How well the object holds together over time (for Inner-Guidance on/off comparisons).

    shape_iou: mean IoU of the object's mask between consecutive frames after aligning their
      centroids (1 = the silhouette is identical frame to frame; spins and zooms lower it a little
      on purpose, so compare runs on the same prompts and seeds, never across prompt sets).
    path_jerk: mean |second difference| of the centroid in pixels (0 = constant velocity); a
      wobbling or teleporting object scores high.
    area_cv: coefficient of variation of the object's area over the clip.
    """
    f = frames.astype(np.float32) / 255
    n, h, w, _ = f.shape
    border = np.concatenate([f[:, :2].reshape(-1, 3), f[:, -2:].reshape(-1, 3),
                             f[:, :, :2].reshape(-1, 3), f[:, :, -2:].reshape(-1, 3)])
    masks = np.sqrt(((f - np.median(border, 0)) ** 2).sum(-1)) > 0.25
    areas = masks.reshape(n, -1).sum(1)
    vis = np.nonzero(areas >= 12)[0]
    if len(vis) < 3:
        return {"shape_iou": 0.0, "path_jerk": None, "area_cv": None}
    ys, xs = np.mgrid[0:h, 0:w]
    cents = np.array([((xs * masks[i]).sum() / areas[i], (ys * masks[i]).sum() / areas[i]) for i in vis])
    ious = []
    for a, b, ca, cb in zip(vis[:-1], vis[1:], cents[:-1], cents[1:]):
        dx, dy = np.round(ca - cb).astype(int)
        mb = np.roll(np.roll(masks[b], dy, axis=0), dx, axis=1)
        ious.append((masks[a] & mb).sum() / max(1, (masks[a] | mb).sum()))
    jerk = np.abs(np.diff(cents, 2, axis=0)).sum(1).mean()
    return {"shape_iou": float(np.mean(ious)), "path_jerk": float(jerk),
            "area_cv": float(areas[vis].std() / max(1.0, areas[vis].mean()))}


ROUGH_STEP = 0.2  # of the value range: a jump this big between neighbours is an edge or noise, not shading


def roughness(frames: np.ndarray) -> float:
    """Share of pixels differing sharply from a neighbour: a pixel counts as rough when the max over
    R, G, B of |difference| with its right or its lower neighbour exceeds ROUGH_STEP of the range
    (0.2 x 255); the share is over all pixels of all frames. frames [F, H, W, 3] uint8.

    Rendered truth scores only its object's outline: 0.004-0.014, mean 0.0079, on the 200 eval
    prompts (one object on a solid background); blocky or speckled generations score more, blurred
    ones less. Unlike adapters.fidelity.roughness (mean neighbour change) it ignores soft gradients
    and counts each broken pixel once, so it reads as "what fraction of the picture is edges"."""
    f = frames.astype(np.int16)
    thr = ROUGH_STEP * 255
    rough = np.zeros(f.shape[:3], bool)
    rough[:, :, :-1] |= np.abs(f[:, :, 1:] - f[:, :, :-1]).max(-1) > thr
    rough[:, :-1, :] |= np.abs(f[:, 1:] - f[:, :-1]).max(-1) > thr
    return float(rough.mean())


def truth_spec(p: dict, frames: int = 16) -> ClipSpec:
    """The ground-truth clip of one prompt row (colour, shape, background, motion, seed): the object
    on a solid background, no camera move, its start centre and size drawn from the row's seed with
    the world's own rules (catalog.object_radius, sample._start_position), so the same row always gives
    the same clip and every motion stays in frame the way training clips do."""
    rng = random.Random(p["seed"])
    size = object_radius(rng, 1)
    x0, y0 = _start_position(rng, p["motion"], size)
    o = ObjectSpec(p["shape"], p["colour"], p["motion"], x0, y0, size, rng.random())
    return ClipSpec([SceneSpec([o], "solid", p["background"], p["background"], "none", frames)], p.get("prompt", ""))


def to_frames(video) -> np.ndarray:
    """World/VAE video [B, 3, F, H, W] in [-1, 1] (torch or numpy) -> uint8 frames [B, F, H, W, 3]."""
    v = video.numpy() if isinstance(video, torch.Tensor) else np.asarray(video)
    return ((np.transpose(v, (0, 2, 3, 4, 1)) + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


def render_truth(prompts: list[dict], frames: int = 16, size: int = 128, batch: int = 16) -> np.ndarray:
    """Rendered ground truth of prompt rows -> uint8 [N, F, H, W, 3] (batched to bound memory)."""
    from .world import render_clips
    out = []
    for i in range(0, len(prompts), batch):
        v, _ = render_clips([truth_spec(p, frames) for p in prompts[i:i + batch]], frames, size)
        out.append(to_frames(v))
    return np.concatenate(out) if out else np.zeros((0, frames, size, size, 3), np.uint8)


class PackageVAE:
    """A package's VAE encoder + decoder through onnxruntime (CPU): the round trip that bounds what a
    generated clip can look like. File names, tensor names and sizes come from manifest.json, so a
    package with another latent (16 channels instead of 4) needs no change here."""

    def __init__(self, folder: str, variant: str = "fp32", threads: int = 2):
        import onnxruntime as ort
        self.manifest = json.load(open(os.path.join(folder, "manifest.json")))
        self.video = self.manifest["video"]
        lat = self.manifest["latent"]
        self.latent_shape = (lat["channels"], lat["frames"], lat["height"], lat["width"])
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        self.io = {}
        for role, src, dst in (("vaeEncoder", "video", "latent"), ("vaeDecoder", "latent", "video")):
            comp = self.manifest["components"][role]
            v = comp["variants"].get(variant) or comp["variants"]["fp32"]
            sess = ort.InferenceSession(os.path.join(folder, v["files"][0]["path"]), so, providers=["CPUExecutionProvider"])
            self.io[role] = (sess, comp.get("inputs", {}).get(src, src), comp.get("outputs", {}).get(dst, dst))

    def encode(self, video: np.ndarray) -> np.ndarray:
        sess, i, o = self.io["vaeEncoder"]
        lat = sess.run([o], {i: np.asarray(video, np.float32)})[0]
        # a manifest that disagrees with its own graphs is a broken package: say so here rather than
        # let the denoiser or the engine fail on it later
        if tuple(lat.shape[1:]) != self.latent_shape:
            raise ValueError(f"vaeEncoder gives latents {tuple(lat.shape[1:])}, manifest says {self.latent_shape}")
        return lat

    def decode(self, latent: np.ndarray) -> np.ndarray:
        sess, i, o = self.io["vaeDecoder"]
        return sess.run([o], {i: np.asarray(latent, np.float32)})[0]

    def round_trip(self, video: np.ndarray, batch: int = 4) -> np.ndarray:
        """[B, 3, F, H, W] in [-1, 1] -> the same after encoder + decoder, clipped to [-1, 1]."""
        out = [self.decode(self.encode(video[i:i + batch])) for i in range(0, len(video), batch)]
        return np.clip(np.concatenate(out), -1, 1)

    def round_trip_frames(self, frames: np.ndarray) -> np.ndarray:
        """uint8 [B, F, H, W, 3] -> uint8 [B, F, H, W, 3] after the round trip."""
        video = np.transpose(frames.astype(np.float32) / 127.5 - 1, (0, 4, 1, 2, 3))
        return to_frames(self.round_trip(video))


class CheckpointVAE(PackageVAE):
    """A training checkpoint's VAE in PyTorch, for ablations before anything is exported: the same
    round trip as PackageVAE (encoder mean, decoder), so the two figures compare."""

    def __init__(self, path: str, threads: int = 2):
        import torch
        from .vae import load_vae
        torch.set_num_threads(threads)
        self.torch, self.vae = torch, load_vae(path)
        self.video = {"frames": 16, "height": 128, "width": 128}

    def encode(self, video: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.vae.encode(self.torch.from_numpy(np.asarray(video, np.float32)))[0].numpy()

    def decode(self, latent: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.vae.decoder(self.torch.from_numpy(latent)).numpy()


def score(seen: dict, want: dict) -> dict:
    return {k: seen.get(k) == want[k] for k in ("colour", "shape", "background", "direction")}


def eval_prompts(n: int, seed: int = 424242) -> list[dict]:
    """Held-out prompts (one object, solid background), never used to tune anything."""
    from .world.sample import describe_scene, sample_scene
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        s = sample_scene(rng, 16, 1)
        if s.background != "solid":
            continue
        o = s.objects[0]
        out.append({"id": f"p{len(out):03d}", "prompt": describe_scene(rng, s), "colour": o.colour,
                    "shape": o.shape, "background": s.bg_colour, "motion": o.motion,
                    "direction": direction_of(o.motion), "seed": rng.randrange(1 << 31)})
    return out


def _read_zip(path: str) -> np.ndarray:
    from PIL import Image
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".png"))
        return np.stack([np.array(Image.open(io.BytesIO(z.read(n))).convert("RGB")) for n in names])


def summarise(rows: list[dict]) -> dict:
    keys = ("colour", "shape", "background", "direction")
    out = {k: round(sum(r["correct"][k] for r in rows) / max(1, len(rows)), 4) for k in keys} | {"n": len(rows)}
    coh = [r["coherence"] for r in rows if r.get("coherence")]
    for k in ("shape_iou", "path_jerk", "area_cv"):
        vals = [c[k] for c in coh if c.get(k) is not None]
        if vals:
            out[k] = round(float(np.mean(vals)), 4)
    rough = [r["roughness"] for r in rows if r.get("roughness") is not None]
    if rough:
        out["roughness"] = round(float(np.mean(rough)), 4)
    # truth and ratio over the same rows as the judged clips, so the ratio compares like with like
    both = [(r["roughness"], r["roughness_truth"]) for r in rows
            if r.get("roughness") is not None and r.get("roughness_truth") is not None]
    if both:
        gen, truth = (float(np.mean(x)) for x in zip(*both))
        out["roughness_truth"] = round(truth, 4)
        out["roughness_ratio"] = round(gen / truth, 3) if truth > 0 else None
    return out


ATTRIBUTES = ("colour", "shape", "background", "direction")
NOT_FOUND = "not found"  # seen None: the judge found no object (distinct from direction "none")
_ORDER = {"colour": list(COLOURS), "background": list(COLOURS), "shape": list(SHAPES),
          "direction": list(dict.fromkeys(MOTION_DIRECTION.values()))}


def confusion(rows: list[dict], key: str) -> dict:
    """want x seen counts of one attribute over judged rows: {"asked": [...], "seen": [...],
    "counts": [[n]]}, counts[i][j] = rows that asked asked[i] and were seen as seen[j]. Rows are the
    labels asked, in catalogue order; columns the same labels first (so the diagonal is the hits),
    then labels only seen, then NOT_FOUND when the judge found nothing in some clip."""
    order = _ORDER.get(key, [])
    rank = lambda x: (order.index(x) if x in order else len(order), str(x))  # noqa: E731
    asked = sorted({r["want"][key] for r in rows}, key=rank)
    seen_vals = [r["seen"].get(key) for r in rows]
    seen = asked + sorted({v for v in seen_vals if v is not None and v not in asked}, key=rank)
    if any(v is None for v in seen_vals):
        seen.append(NOT_FOUND)
    counts = [[0] * len(seen) for _ in asked]
    for r, v in zip(rows, seen_vals):
        counts[asked.index(r["want"][key])][seen.index(NOT_FOUND if v is None else v)] += 1
    return {"asked": asked, "seen": seen, "counts": counts}


def confusions(rows: list[dict]) -> dict:
    return {k: confusion(rows, k) for k in ATTRIBUTES}


def markdown(summary: dict, conf: dict, title: str = "") -> str:
    """The summary as a one-row table plus the four confusion matrices (rows = asked, columns =
    seen, counts; hits in bold, 0 as ·), ready to paste into a model card."""
    cols = [k for k in ("n", *ATTRIBUTES, "shape_iou", "path_jerk", "area_cv", "roughness", "roughness_truth",
                        "roughness_ratio") if summary.get(k) is not None]
    lines = [f"### {title}", ""] if title else []
    lines += ["| " + " | ".join(c.replace("_", " ") for c in cols) + " |", "|" + "---|" * len(cols),
              "| " + " | ".join(str(summary[c]) for c in cols) + " |", ""]
    for k in ATTRIBUTES:
        c = conf[k]
        lines += [f"{k} (rows: asked, columns: seen)", "",
                  "| asked \\ seen | " + " | ".join(c["seen"]) + " | n |", "|---|" + "---|" * (len(c["seen"]) + 1)]
        for a, row in zip(c["asked"], c["counts"]):
            cells = [(f"**{n}**" if s == a else str(n)) if n else "·" for s, n in zip(c["seen"], row)]
            lines.append(f"| {a} | " + " | ".join(cells) + f" | {sum(row)} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips")
    ap.add_argument("--prompts", help="prompt rows; with --selftest: judge these prompts' rendered ground truth")
    ap.add_argument("--selftest", type=int, default=0)
    ap.add_argument("--through-vae", help="package folder (or a VAE checkpoint .pt): judge rendered clips after "
                                          "its VAE encoder+decoder")
    ap.add_argument("--write-prompts")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--prompt-seed", type=int, default=424242)
    ap.add_argument("--exclude", help="a prompts file whose prompts must not be written")
    ap.add_argument("--out", help="JSON: summary, confusion matrices, per-clip rows")
    ap.add_argument("--markdown", help="Markdown: the summary table and the four confusion matrices")
    args = ap.parse_args(argv)
    if args.write_prompts:
        # the held-out file was written with the defaults; a tuning set uses another --prompt-seed and
        # --exclude the held-out file, so nothing tuned ever sees a held-out prompt
        avoid = {p["prompt"] for p in json.load(open(args.exclude))} if args.exclude else set()
        prompts = [p for p in eval_prompts(args.n + len(avoid), args.prompt_seed) if p["prompt"] not in avoid][:args.n]
        json.dump(prompts, open(args.write_prompts, "w"), indent=1)
        return
    rows = []
    if args.selftest:
        from .world import render_clips
        frames_n, size = 16, 128
        vae = None
        if args.through_vae:  # the upper bound a generated clip can reach: the VAE's round trip
            vae = (CheckpointVAE if args.through_vae.endswith(".pt") else PackageVAE)(args.through_vae)
            if vae.video["width"] != vae.video["height"]:
                raise SystemExit("the world renders square clips only")
            frames_n, size = vae.video["frames"], vae.video["height"]
        if args.prompts:  # the prompt rows' own ground truth (what --clips runs are compared against)
            cases = []
            for p in json.load(open(args.prompts))[:args.selftest]:
                want = {k: p[k] for k in ATTRIBUTES}
                cases.append(({"id": p["id"]}, want, lambda p=p: render_truth([p], frames_n, size)[0]))
        else:  # random one-object scenes, as in the model card's table
            from .world.sample import sample_scene
            rng = random.Random(7)
            cases = []
            for i in range(args.selftest):
                s = sample_scene(rng, frames_n, 1)
                s.background, s.camera = "solid", "none"
                o = s.objects[0]
                want = {"colour": o.colour, "shape": o.shape, "background": s.bg_colour, "direction": direction_of(o.motion)}
                cases.append(({}, want, lambda s=s: to_frames(render_clips([ClipSpec([s], "")], frames_n, size)[0])[0]))
        for extra, want, render in cases:
            truth = render()
            frames = vae.round_trip_frames(truth[None])[0] if vae else truth
            seen = judge_clip(frames)
            rows.append(extra | {"want": want, "seen": seen, "correct": score(seen, want), "coherence": coherence(frames),
                                 "roughness": roughness(frames), "roughness_truth": roughness(truth)})
    else:
        for p in json.load(open(args.prompts)):
            path = os.path.join(args.clips, f"{p['id']}.zip")
            if not os.path.exists(path):
                continue
            frames = _read_zip(path)
            seen = judge_clip(frames)
            # truth at the clip's own length and size, so both roughness figures count the same pixels
            truth = render_truth([p], frames.shape[0], frames.shape[1])[0]
            rows.append({"id": p["id"], "want": {k: p[k] for k in ATTRIBUTES},
                         "seen": seen, "correct": score(seen, p), "coherence": coherence(frames),
                         "roughness": roughness(frames), "roughness_truth": roughness(truth)})
    summary = summarise(rows)
    conf = confusions(rows)
    if args.out:
        json.dump({"summary": summary, "confusion": conf, "rows": rows}, open(args.out, "w"), indent=1)
    title = ("ground truth" + (f" through {os.path.basename(os.path.normpath(args.through_vae))}'s VAE" if args.through_vae else "")
             if args.selftest else f"clips in {args.clips}")
    md = markdown(summary, conf, title)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    print(json.dumps(summary))
    if args.selftest:
        print(md)


if __name__ == "__main__":
    main()
