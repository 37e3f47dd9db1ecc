"""Render clip specs to video and exact optical flow, vectorised over clips × frames.

Video: [B, 3, F, H, W] in [-1, 1]. Flow: [B, 2, F, H, W] in pixels, from frame f to f+1 (the
last frame of each scene repeats the previous flow; across a cut there is no correspondence, so
the frame before a cut keeps its own within-scene flow).
"""
from __future__ import annotations

import torch

from .catalog import COLOURS
from .sample import ClipSpec
from .shapes import SHAPE_FUNCS
from .trajectory import camera_params, object_params

MAX_OBJECTS = 2
_BG_KIND = {"solid": 0, "gradient": 1, "stripes": 2, "checker": 3}


def _frame_table(specs: list[ClipSpec], frames: int):
    """Per (clip, frame) parameters as python lists, then tensors."""
    rows = []
    for spec in specs:
        for scene in spec.scenes:
            n = scene.frames
            for k in range(n):
                kp = k if k + 1 < n else max(k - 1, 0)  # last frame: flow of the previous step
                kn2 = kp + 1 if n > 1 else kp
                cam = camera_params(scene, kp, n), camera_params(scene, kn2, n)
                objs = []
                for j in range(MAX_OBJECTS):
                    if j < len(scene.objects):
                        o = scene.objects[j]
                        objs.append((True, o.shape, COLOURS[o.colour][0], object_params(o, k, n),
                                     object_params(o, kp, n), object_params(o, kn2, n)))
                    else:
                        objs.append((False, None, (0, 0, 0), (0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 1, 0)))
                rows.append(dict(bg=_BG_KIND[scene.background], c1=COLOURS[scene.bg_colour][0],
                                 c2=COLOURS[scene.bg_colour2][0], cam=camera_params(scene, k, n),
                                 cam_flow=cam, objs=objs))
        assert sum(s.frames for s in spec.scenes) == frames
    return rows


def render_clips(specs: list[ClipSpec], frames: int = 16, size: int = 128,
                 device: str | torch.device = "cpu", with_mask: bool = False):
    """-> video [B, 3, F, H, W] in [-1, 1] and flow [B, 2, F, H, W] in pixels; with_mask adds the
    objects' silhouettes [B, F, H, W] bool (what the frame shows of any object)."""
    rows = _frame_table(specs, frames)
    n = len(rows)
    t = lambda xs: torch.tensor(xs, dtype=torch.float32, device=device)  # noqa: E731
    lin = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size * 2 - 1
    Y, X = torch.meshgrid(lin, lin, indexing="ij")
    X, Y = X.expand(n, size, size), Y.expand(n, size, size)
    px = size / 2  # normalised units -> pixels

    # background in world coordinates seen through the camera
    ox, z = t([r["cam"][0] for r in rows]), t([r["cam"][1] for r in rows])
    WX = X / z[:, None, None] + ox[:, None, None]
    WY = Y / z[:, None, None]
    kind = t([r["bg"] for r in rows])[:, None, None]
    c1 = t([r["c1"] for r in rows])[:, :, None, None]
    c2 = t([r["c2"] for r in rows])[:, :, None, None]
    mix = torch.zeros(n, size, size, device=device)
    mix = torch.where(kind == 1, (WY + 1) / 2, mix)
    mix = torch.where(kind == 2, (torch.sin(WX * 4 * torch.pi) > 0).float(), mix)
    mix = torch.where(kind == 3, ((torch.floor(WX * 2) + torch.floor(WY * 2)) % 2).float(), mix)
    img = c1 * (1 - mix[:, None]) + c2 * mix[:, None]

    # background flow: the world point under X moves to (W - o') * z' on the next frame
    o0 = t([r["cam_flow"][0][0] for r in rows])
    z0 = t([r["cam_flow"][0][1] for r in rows])
    o1 = t([r["cam_flow"][1][0] for r in rows])
    z1 = t([r["cam_flow"][1][1] for r in rows])
    WX0 = X / z0[:, None, None] + o0[:, None, None]
    WY0 = Y / z0[:, None, None]
    fx = ((WX0 - o1[:, None, None]) * z1[:, None, None] - X) * px
    fy = (WY0 * z1[:, None, None] - Y) * px
    seen = torch.zeros(n, size, size, dtype=torch.bool, device=device)

    for j in range(MAX_OBJECTS):
        active = [r["objs"][j][0] for r in rows]
        if not any(active):
            continue
        shapes = [r["objs"][j][1] for r in rows]
        colour = t([r["objs"][j][2] for r in rows])[:, :, None, None]
        cx, cy, s, th = (t(list(v))[:, None, None] for v in zip(*[r["objs"][j][3] for r in rows]))
        u, v = _to_local(X, Y, cx, cy, s, th)
        mask = torch.zeros(n, size, size, dtype=torch.bool, device=device)
        shade = torch.ones(n, size, size, device=device)
        for name, fn in SHAPE_FUNCS.items():
            idx = [i for i, (a, sh) in enumerate(zip(active, shapes)) if a and sh == name]
            if not idx:
                continue
            ii = torch.tensor(idx, device=device)
            m, sd = fn(u[ii], v[ii])
            mask[ii] = m
            if sd is not None:
                shade[ii] = sd
        img = torch.where(mask[:, None], colour * shade[:, None], img)
        seen |= mask
        # object flow: local point u at frame kp goes to c' + s' R(th') u at frame kp+1
        p0 = [r["objs"][j][4] for r in rows]
        p1 = [r["objs"][j][5] for r in rows]
        cx0, cy0, s0, th0 = (t(list(v))[:, None, None] for v in zip(*p0))
        cx1, cy1, s1, th1 = (t(list(v))[:, None, None] for v in zip(*p1))
        u0, v0 = _to_local(X, Y, cx0, cy0, s0, th0)
        x1, y1 = _to_screen(u0, v0, cx1, cy1, s1, th1)
        # flow is taken at the pixel where the object is on this frame; for the last frame of a
        # scene the object's own flow is the previous step's, evaluated at its current pixels
        fx = torch.where(mask, (x1 - X) * px, fx)
        fy = torch.where(mask, (y1 - Y) * px, fy)

    b = len(specs)
    video = img.clamp(0, 1).reshape(b, frames, 3, size, size).permute(0, 2, 1, 3, 4) * 2 - 1
    flow = torch.stack([fx, fy], 1).reshape(b, frames, 2, size, size).permute(0, 2, 1, 3, 4)
    if with_mask:
        return video.contiguous(), flow.contiguous(), seen.reshape(b, frames, size, size)
    return video.contiguous(), flow.contiguous()


def _to_local(X, Y, cx, cy, s, th):
    dx, dy = (X - cx) / s, (Y - cy) / s
    c, sn = torch.cos(th), torch.sin(th)
    return c * dx + sn * dy, -sn * dx + c * dy


def _to_screen(u, v, cx, cy, s, th):
    c, sn = torch.cos(th), torch.sin(th)
    return cx + s * (c * u - sn * v), cy + s * (sn * u + c * v)
