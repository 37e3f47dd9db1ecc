"""`vaeTiling.bytesPerLatentPixel` (docs/model-package.md "Decoding in pieces"), measured.

The engine sizes tiles from a memory budget as bytesPerLatentPixel × latent frames per call × tile
height × tile width (src/engine/vae-tiles.ts chooseTiling): a per-pixel slope, no constant. So that is
what is measured here: each exported decoder graph is run in onnxruntime (CPU) at two latent sizes,
each run in a fresh process, and the slope of its peak resident memory between them, per latent pixel
of the frames one call takes, is the figure. The constant part (the interpreter, onnxruntime, the
graph's weights, which a session holds whatever the tile) cancels in the slope; what is left is what
grows with the tile: activations, kernel scratch, the output and, for the `next` graph, the cache.

Why a measurement and not a count of the graph's tensors: the peak depends on what the runtime keeps
alive at once and on kernel scratch (convolutions' im2col buffers), which a liveness count of the
graph's own tensors would leave out. The run is made to show the memory the decode really holds:
onnxruntime's CPU arena is off (it rounds growth up to powers of two) and glibc's mmap threshold is
fixed (so every large buffer is its own mapping, returned when freed, and freed memory cannot hide
in the heap). One thread, as onnxruntime-web's wasm runs by default.

What it is not: onnxruntime-web's wasm heap (the same CPU kernels, but a heap that never shrinks) or
WebGPU (GPU buffers, another allocator). It is the CPU execution provider's working set, a proxy the
package can state honestly, recorded with its sizes in convert_report.json (`vae_memory`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

# Latent sides (pixels) the slope is taken between. Large enough that the decode's growth (≈ 24 MB on the
# tiny test VAE's whole graph) dwarfs the ±1 MB the peak varies by between runs; on the published Wan
# VAE the larger run holds ≈ 32² × t latent pixels' activations (not measured there yet).
SIDES = (16, 32)

_PROBE = r"""
import json, os, sys
import numpy as np
import onnxruntime as ort

spec = json.loads(sys.argv[1])
opts = ort.SessionOptions()
opts.enable_cpu_mem_arena = False
opts.intra_op_num_threads = 1
opts.log_severity_level = 3
sess = ort.InferenceSession(spec["path"], opts, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(0)
feeds = {k: rng.standard_normal(shape, dtype=np.float32) for k, shape in spec["inputs"].items()}
# VmHWM, not getrusage's ru_maxrss: Linux folds the parent's peak into ru_maxrss across fork and exec
# (a converter holding torch and the model would hide every decode under its own gigabytes); VmHWM is
# this process's own address space, new at exec.
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024  # kB
loaded = status("VmRSS")
before = status("VmHWM")
sess.run(None, feeds)
print(json.dumps({"loaded": loaded, "peakBeforeRun": before, "peak": status("VmHWM")}))
"""


def peak_bytes(path: str, inputs: dict[str, list[int]]) -> dict:
    """{loaded, peakBeforeRun, peak} bytes of a fresh process that runs the graph once on `inputs` (shapes)."""
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", _PROBE, json.dumps({"path": path, "inputs": inputs})], env=env,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"measuring {os.path.basename(path)}'s decode memory failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def slope(path: str, inputs_at, frames_per_call: int, sides=SIDES) -> dict:
    """The graph's peak memory at each side and its slope per latent pixel of one frame of a call.
    `inputs_at(h, w)`: the graph's input shapes for a latent h × w."""
    runs = [{"side": s, **peak_bytes(path, inputs_at(s, s))} for s in sides]
    a, b = runs[0], runs[-1]
    # a run whose peak is the session's load, not the decode, has no slope to give
    for r in runs:
        r["runAboveLoad"] = r["peak"] - r["peakBeforeRun"]
    per_pixel = (b["peak"] - a["peak"]) / ((b["side"] ** 2 - a["side"] ** 2) * frames_per_call)
    return {"framesPerCall": frames_per_call, "runs": runs, "bytesPerLatentPixel": per_pixel}


def measure(out_dir: str, manifest_latent: dict, whole_path: str, frames: dict | None, sides=SIDES) -> dict:
    """`vae_memory` for convert_report.json: a slope for each decoder graph the engine may tile (the
    whole-clip graph with its latent frames per call; the frame pair with the engine's
    max(first, next) latent frames per call), and `bytesPerLatentPixel`, the largest, rounded up to a
    whole byte, so that a budget sized by it holds for whichever graph the engine loads."""
    c, t = manifest_latent["channels"], manifest_latent["frames"]
    h0, w0 = manifest_latent["height"], manifest_latent["width"]
    graphs = {"vaeDecoder": slope(whole_path, lambda h, w: {"latent": [1, c, t, h, w]}, t, sides)}
    if frames:
        per_call = max(frames["first"]["latentFrames"], frames["next"]["latentFrames"])
        path = lambda part: os.path.join(out_dir, frames[part]["variants"]["fp32"]["files"][0]["path"])  # noqa: E731

        def next_inputs(h, w):
            # each cache tensor's spatial axes are k·h, k·w for its level's upsampling k (wan_vae_frames.py)
            cache = {e["input"]: [*e["shape"][:3], e["shape"][3] // h0 * h, e["shape"][4] // w0 * w] for e in frames["cache"]}
            return {"latent": [1, c, frames["next"]["latentFrames"], h, w], **cache}

        graphs["vaeDecoderFrames.first"] = slope(path("first"), lambda h, w: {"latent": [1, c, frames["first"]["latentFrames"], h, w]},
                                                 per_call, sides)
        graphs["vaeDecoderFrames.next"] = slope(path("next"), next_inputs, per_call, sides)
    worst = max(g["bytesPerLatentPixel"] for g in graphs.values())
    if worst <= 0:
        raise RuntimeError(f"the decoders' peak memory did not grow from latent {sides[0]}² to {sides[-1]}² pixels "
                           f"({json.dumps(graphs)}): no bytesPerLatentPixel can be stated")
    return {"method": "peak RSS slope, onnxruntime CPU, 1 thread, arena off (vae_memory.py)", "sides": list(sides),
            "graphs": graphs, "bytesPerLatentPixel": int(-(-worst // 1))}
