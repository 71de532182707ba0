"""How much a left picture and its right twin differ, measured on the pictures as drawn (rasterised by
CairoSVG), inside the trunk and inside the head.

* A pixel **differs** when one of its colour channels differs by ``THRESHOLD`` (32 of 255, 12.5%) or more
  between the twins: far above the rounding of anti-aliasing, and a contrast anyone sees.
* The **trunk region** is every pixel inside the drawn outline of the chest, abdomen, pelvis or either
  shoulder cap in either twin (from the shoulders to the pelvis), less the head region. The arms count
  where they are drawn over the trunk.
* The **head region** is every pixel inside the drawn outline of the head or hair of the left twin, less
  the pixels where an arm or hand is drawn over it (hands on the head move with the arms). The right
  twin is first moved and turned in the picture plane so that its head centre and neck line fall on the
  left twin's: where the head is, and its tilt, are carried there by the trunk, so only what the head
  itself shows (the face turned, an ear in view) is left to compare.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cairosvg
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from painrewire.programs.gmi import render, stimuli
from painrewire.programs.gmi.body import Capsule, Ellipsoid, PosedBody
from painrewire.programs.gmi.render import View
from painrewire.programs.gmi.stimuli import Stimulus

THRESHOLD = 32
TRUNK_PARTS = ("chest", "abdomen", "pelvis", "shoulder_left", "shoulder_right")
HEAD_PARTS = ("head", "hair", "hair_long")
ARM_PARTS = (
    *(
        f"{part}_{side}"
        for part in ("upper_arm", "forearm", "hand", "shoulder")
        for side in ("left", "right")
    ),
    "watch",
)
_YS, _XS = np.mgrid[0 : render.HEIGHT, 0 : render.WIDTH] + 0.5

Mask = NDArray[np.bool_]


def rasterise(svg: str) -> Image.Image:
    """The SVG as an RGB picture of `render.WIDTH` x `render.HEIGHT` pixels."""
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"))
    return Image.open(io.BytesIO(png)).convert("RGB")


def ellipse_mask(outline: tuple[float, float, float, float, float]) -> Mask:
    """Pixels whose centres lie inside an ellipse given as (cx, cy, rx, ry, rotation in degrees)."""
    cx, cy, rx, ry, angle = outline
    t = math.radians(angle)
    x, y = _XS - cx, _YS - cy
    u = x * math.cos(t) + y * math.sin(t)
    v = -x * math.sin(t) + y * math.cos(t)
    inside: Mask = (u / max(rx, 1e-6)) ** 2 + (v / max(ry, 1e-6)) ** 2 <= 1.0
    return inside


def stroke_mask(a: tuple[float, float], b: tuple[float, float], width: float) -> Mask:
    """Pixels whose centres lie within ``width / 2`` of the segment from ``a`` to ``b`` (a round-capped line)."""
    ab = np.subtract(b, a)
    length2 = max(float(ab @ ab), 1e-9)
    t = np.clip(((_XS - a[0]) * ab[0] + (_YS - a[1]) * ab[1]) / length2, 0.0, 1.0)
    inside: Mask = (_XS - a[0] - t * ab[0]) ** 2 + (_YS - a[1] - t * ab[1]) ** 2 <= (width / 2) ** 2
    return inside


def outline_mask(view: View, body: PosedBody, parts: tuple[str, ...], *, over: str | None = None) -> Mask:
    """Pixels inside the drawn outline of the named parts (ellipses, and limbs with their edge line); with
    ``over``, only those of the parts painted after (so over) that part."""
    mask = np.zeros((render.HEIGHT, render.WIDTH), dtype=bool)
    order = [p.part for p in render.paint_order(view, body)]
    for p in body.primitives:
        if p.part not in parts or p.part not in order:
            continue
        if over is not None and order.index(p.part) < order.index(over):
            continue
        if isinstance(p, Ellipsoid):
            mask |= ellipse_mask(render.ellipse_outline(view, p))
        else:
            width = 2 * p.radius * view.focal / view.depth((p.a + p.b) / 2) + 1.6
            mask |= stroke_mask(view.project(p.a), view.project(p.b), width)
    return mask


def differing(a: Image.Image, b: Image.Image) -> Mask:
    """Pixels where any colour channel differs by `THRESHOLD` or more."""
    diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max(axis=2)
    out: Mask = diff >= THRESHOLD
    return out


def _head_anchor(view: View, body: PosedBody) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The head's centre in the picture and the direction from the base of the neck to it."""
    head, neck = body.part("head"), body.part("neck")
    assert isinstance(head, Ellipsoid) and isinstance(neck, Capsule)
    centre = np.array(view.project(head.center))
    return centre, centre - np.array(view.project(neck.a))


def align_head(moving: Image.Image, view: View, moving_body: PosedBody, fixed_body: PosedBody) -> Image.Image:
    """``moving`` (a picture or a mask) shifted and turned in the picture plane so its head lies where
    ``fixed_body``'s does."""
    fixed_c, fixed_dir = _head_anchor(view, fixed_body)
    moving_c, moving_dir = _head_anchor(view, moving_body)
    turn = math.atan2(fixed_dir[1], fixed_dir[0]) - math.atan2(moving_dir[1], moving_dir[0])
    c, s = math.cos(-turn), math.sin(-turn)
    # PIL maps each output pixel p to the input pixel M p + offset
    offset = moving_c - np.array([c * fixed_c[0] - s * fixed_c[1], s * fixed_c[0] + c * fixed_c[1]])
    return moving.transform(
        moving.size,
        Image.Transform.AFFINE,
        (c, -s, float(offset[0]), s, c, float(offset[1])),
        resample=Image.Resampling.BILINEAR if moving.mode == "RGB" else Image.Resampling.NEAREST,
    )


@dataclass(frozen=True)
class TwinDifference:
    """How a left picture and its right twin differ in the trunk and in the head (pixels and shares)."""

    trunk_pixels: int
    trunk_differing: int
    head_pixels: int
    head_differing: int

    @property
    def trunk_share(self) -> float:
        return self.trunk_differing / self.trunk_pixels

    @property
    def head_share(self) -> float:
        return self.head_differing / self.head_pixels


def twin_difference(left: Stimulus, right: Stimulus) -> TwinDifference:
    """Measure one pair of twins (see the module docstring for the regions)."""
    view = stimuli.framing(left)
    left_body, right_body = left.body(), right.body()
    a, b = rasterise(stimuli.render(left)), rasterise(stimuli.render(right))
    head_left = outline_mask(view, left_body, HEAD_PARTS)
    head = head_left | outline_mask(view, right_body, HEAD_PARTS)
    trunk = (outline_mask(view, left_body, TRUNK_PARTS) | outline_mask(view, right_body, TRUNK_PARTS)) & ~head
    arms_right = outline_mask(view, right_body, ARM_PARTS, over="head")
    arms = outline_mask(view, left_body, ARM_PARTS, over="head") | (
        np.asarray(align_head(Image.fromarray(arms_right), view, right_body, left_body)) > 0
    )
    head_only = head_left & ~arms
    head_diff = differing(a, align_head(b, view, right_body, left_body))
    return TwinDifference(
        trunk_pixels=int(trunk.sum()),
        trunk_differing=int((differing(a, b) & trunk).sum()),
        head_pixels=int(head_only.sum()),
        head_differing=int((head_diff & head_only).sum()),
    )


def twins() -> list[tuple[Stimulus, Stimulus]]:
    """Every (left, right) pair of the catalogue: same movement, view, angle class and variant."""
    by_key = {(s.movement, s.view, s.angle_class, s.variant, s.side): s for s in stimuli.catalogue().values()}
    return [
        (stim, by_key[(m, v, a, n, "right")])
        for (m, v, a, n, side), stim in sorted(by_key.items())
        if side == "left"
    ]
