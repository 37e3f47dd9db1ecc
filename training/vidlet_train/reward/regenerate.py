"""Makes a vote's takes again with the page's own engine (the Node CLI, `npx vidlet generate`), and
reads them back as the tensors adapter training encodes.

Why the CLI and not a Python sampler: the CLI runs the same ONNX graphs, variant (int8, q4…),
seeded noise stream (src/engine/noise.ts), sampler, guidance and adapter blending as the page, so
the frames come out as the person saw them with nothing ported that could drift. A PyTorch
re-implementation would have to reproduce all of that and would still differ from an int8 take.

x0 for DPO is the VAE encoding of those decoded frames (and of the decoded motion stream,
VideoJAM's flow-as-RGB, from --decode-motion): what was judged is the frames, and encoding clips is
how the base model and every adapter got their x0 (adapters.objective.noisy_batch).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[3]


class RegenerationError(RuntimeError):
    pass


def cli_command() -> List[str]:
    """`npx vidlet`'s launcher (bin/vidlet.mjs: registers tsx, runs src/cli/main.ts's main), run from
    the repository; refuses loudly when Node is missing."""
    node = shutil.which("node")
    if node is None:
        raise RegenerationError("Node is not on PATH: the takes are made again with the page's engine, `npx vidlet`; install Node 20+ and `npm ci` in the repository.")
    return [node, str(REPO / "bin" / "vidlet.mjs")]


def take_argv(settings: dict, variant: str, package: Path, out: Path) -> List[str]:
    """The CLI flags that ask the engine for exactly this take."""
    argv = ["generate", "--prompt", settings["prompt"], "--seed", str(int(settings["seed"])),
            "--steps", str(int(settings["steps"])), "--guidance", repr(float(settings["guidance"])),
            "--inner-guidance", repr(float(settings.get("innerGuidance", 0))),
            # absent in records from before Shape emphasis existed, when takes had no contrast pass
            "--contrast", repr(float(settings.get("contrast", 0))), "--sampler", settings["sampler"],
            "--model", str(package), "--variant", variant, "--out", str(out), "--decode-motion", "--json"]
    if settings.get("negativePrompt"):
        argv += ["--negative", settings["negativePrompt"]]
    for a in settings.get("adapters") or []:
        if a.get("schedule") is not None:
            # The CLI has no flag for a hand-set curve; a take made without it would not be the one voted on.
            raise RegenerationError(f'adapter "{a["name"]}" has a hand-set schedule, which `vidlet generate` cannot take: this take cannot be made again from the command line')
        argv += ["--lora", a["name"] + (f':{a["strength"]}' if a.get("strength") is not None else "")]
    if settings.get("blend"):
        argv += ["--blend", settings["blend"]]
    return argv


def check_adapters(take, package: Path) -> None:
    """The take's adapters must be the installed files, byte for byte (by sha256)."""
    listed = {a["name"]: a.get("sha256") for a in json.loads((package / "manifest.json").read_text()).get("adapters", [])}
    for name, want in take.adapter_hashes.items():
        if listed.get(name) != want:
            raise RegenerationError(f'the take used adapter "{name}" with sha256 {want[:12]}…, but {package} has '
                                    + (f"sha256 {str(listed[name])[:12]}…" if name in listed else "no such adapter"))


def read_frames_zip(path: Path) -> torch.Tensor:
    """PNG frames in a .zip (the CLI's frames output) -> [3, T, H, W] in [-1, 1]."""
    from PIL import Image

    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.lower().endswith(".png"))
        if not names:
            raise RegenerationError(f"{path} holds no PNG frames")
        frames = [np.asarray(Image.open(io.BytesIO(z.read(n))).convert("RGB"), dtype=np.float32) for n in names]
    return torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2) / 127.5 - 1


def take_key(settings: dict, variant: str, package: Path) -> str:
    """What decides a take's frames: its CLI flags (less the output path) and the package's manifest
    (which holds every file's sha256). The engine is deterministic, so equal keys mean equal takes."""
    flags = take_argv(settings, variant, Path("PACKAGE"), Path("OUT"))
    h = hashlib.sha256(json.dumps(flags).encode())
    h.update((Path(package) / "manifest.json").read_bytes())
    return h.hexdigest()[:24]


def make_take(settings: dict, variant: str, package: Path, work: Path, name: str, threads: int = 2,
              cache: Path | None = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(clip, motion as RGB), each [3, T, H, W] in [-1, 1]. With `cache` (a folder), a take already
    made with the same take_key is read from there instead of made again, and a new one is kept
    there: the scripted voter and flow_dpo then make each take once."""
    if cache is None:
        return tuple(read_frames_zip(p) for p in run_cli(settings, variant, package, work / f"{name}.zip", threads))
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    key = take_key(settings, variant, package)
    kept = cache / f"{key}.zip", cache / f"{key}.motion.zip"
    if not all(p.exists() for p in kept):
        for made, keep in zip(run_cli(settings, variant, package, work / f"{name}.zip", threads), kept):
            shutil.copyfile(made, keep.with_suffix(".part"))
            os.replace(keep.with_suffix(".part"), keep)  # a take interrupted mid-copy is never read back
    return tuple(read_frames_zip(p) for p in kept)


def run_cli(settings: dict, variant: str, package: Path, out: Path, threads: int) -> Tuple[Path, Path]:
    """Makes the take with `vidlet generate`: (frames zip, motion-as-RGB zip)."""
    argv = cli_command() + take_argv(settings, variant, package, out) + ["--threads", str(threads)]
    r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env={**os.environ})
    if r.returncode != 0:
        raise RegenerationError(f"`vidlet generate` failed for take {out.stem} (exit {r.returncode}):\n{r.stderr[-2000:]}")
    summary = json.loads(r.stdout)
    motion = summary["output"].get("motionPath")
    if not motion:
        raise RegenerationError(f"the model has no motion stream, so take {out.stem} has no motion latent (--decode-motion wrote nothing)")
    return out, Path(motion)
