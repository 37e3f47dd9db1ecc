"""Per-frame parameters of objects and camera for each motion (pure functions of time)."""
from __future__ import annotations

import math

from .sample import ObjectSpec, SceneSpec


def object_params(o: ObjectSpec, k: int, n: int) -> tuple[float, float, float, float]:
    """(cx, cy, size, angle) of object `o` at frame k of a scene of n frames."""
    f = k / (n - 1) if n > 1 else 0.0
    cx, cy, s, th = o.x0, o.y0, o.size, 0.0
    travel = 0.8
    m = o.motion
    if m == "left":
        cx -= travel * f
    elif m == "right":
        cx += travel * f
    elif m == "up":
        cy -= travel * f
    elif m == "down":
        cy += travel * f
    elif m.startswith("enter-"):
        e = min(1.0, f * 1.3)
        e = 1 - (1 - e) ** 2  # ease out: fast entry, settles in frame
        cx = o.x0 + (0.0 - o.x0) * e if m in ("enter-left", "enter-right") else o.x0
        cy = o.y0 + (0.0 - o.y0) * e if m in ("enter-top", "enter-bottom") else o.y0
    elif m == "bounce":
        cy -= 0.6 * abs(math.sin(2 * math.pi * f))
    elif m == "spin":
        th = (1 if o.phase < 0.5 else -1) * 2 * math.pi * f
    elif m == "zoom-in":
        s *= 0.6 + 0.9 * f
    elif m == "zoom-out":
        s *= 1.5 - 0.9 * f
    elif m == "orbit":
        a = 2 * math.pi * (f + o.phase)
        cx += 0.45 * math.cos(a)
        cy += 0.45 * math.sin(a)
    elif m == "pulse":
        s *= 1 + 0.3 * math.sin(4 * math.pi * f)
    return cx, cy, s, th


def camera_params(scene: SceneSpec, k: int, n: int) -> tuple[float, float]:
    """(offset_x, zoom): screen point X shows world point X / zoom + offset."""
    f = k / (n - 1) if n > 1 else 0.0
    if scene.camera == "pan-left":
        return -0.5 * f, 1.0
    if scene.camera == "pan-right":
        return 0.5 * f, 1.0
    if scene.camera == "zoom":
        return 0.0, 1.0 + 0.6 * f
    return 0.0, 1.0
