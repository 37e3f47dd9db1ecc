"""Shape masks in local coordinates (u, v): the object spans roughly |u|, |v| <= 1, v points down.

Each function returns (mask, shade): a boolean tensor and a brightness factor for details such
as a phone's screen or a box's tape, so icons are not just flat silhouettes.
"""
import math

import torch


def _polar(u, v):
    return torch.sqrt(u * u + v * v), torch.atan2(v, u)


def circle(u, v):
    r, _ = _polar(u, v)
    return r <= 1.0, None


def square(u, v):
    return torch.maximum(u.abs(), v.abs()) <= 0.85, None


def triangle(u, v):
    return (v <= 0.7) & (v >= -0.9 + (1.6 / 0.92) * u.abs()), None


def star(u, v):
    r, a = _polar(u, v)
    edge = 0.5 + 0.5 * torch.cos(5 * (a + math.pi / 2)).clamp(min=0) ** 2
    return r <= edge, None


def heart(u, v):
    x, y = 1.15 * u, -1.15 * v + 0.25
    return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0, None


def ring(u, v):
    r, _ = _polar(u, v)
    return (r <= 1.0) & (r >= 0.55), None


def arrow(u, v):
    shaft = (v.abs() <= 0.22) & (u >= -0.9) & (u <= 0.15)
    head = (u >= 0.1) & (v.abs() <= 0.95 - u) & (u <= 0.95)
    return shaft | head, None


def bottle(u, v):
    body = (u.abs() <= 0.45) & (v >= -0.2) & (v <= 0.95)
    neck = (u.abs() <= 0.17) & (v >= -0.95) & (v < -0.2)
    shade = torch.where((v > 0.1) & (v < 0.5), torch.full_like(u, 0.55), torch.ones_like(u))  # label
    return body | neck, shade


def box(u, v):
    mask = (u.abs() <= 0.9) & (v.abs() <= 0.65)
    shade = torch.where(u.abs() <= 0.12, torch.full_like(u, 0.6), torch.ones_like(u))  # tape
    return mask, shade


def phone(u, v):
    mask = (u.abs() <= 0.52) & (v.abs() <= 0.95)
    screen = (u.abs() <= 0.42) & (v.abs() <= 0.75)
    shade = torch.where(screen, torch.full_like(u, 0.3), torch.ones_like(u))
    return mask, shade


def diamond(u, v):
    return u.abs() + v.abs() <= 0.95, None


def cross(u, v):
    return ((u.abs() <= 0.3) & (v.abs() <= 0.9)) | ((v.abs() <= 0.3) & (u.abs() <= 0.9)), None


SHAPE_FUNCS = {
    "circle": circle, "square": square, "triangle": triangle, "star": star, "heart": heart,
    "ring": ring, "arrow": arrow, "bottle": bottle, "box": box, "phone": phone,
    "diamond": diamond, "cross": cross,
}
