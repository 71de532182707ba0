"""Draw a posed body as an SVG picture: perspective projection from a camera, painter's-algorithm depth order.

A camera looks at the figure from an azimuth (0 degrees = in front of the person, 180 = behind them, 90 = at
the person's left side, -90 = at their right side) and an elevation (0 = level, 70 = from high above). Each
primitive is projected: a capsule becomes a round-capped stroke between its projected end points (exact
under orthographic projection, and a close approximation at the camera distances used here), an ellipsoid
becomes the ellipse of its linearised projection. Primitives are then painted from the farthest to the
nearest (the painter's algorithm), with a little depth shading so nearer parts look lighter; small surface
features (eyes, nose, ears) are left out when they face away from the camera.

The output uses presentation attributes only (no ``<style>``, no scripts, no external references), so the
app's strict Content Security Policy accepts it, and its ``<title>`` never says which way the person moves.
Pure numpy; no web, database or template code.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from painrewire.programs.gmi.body import Capsule, Ellipsoid, PosedBody, Primitive, Vector

WIDTH, HEIGHT = 360, 480
BackgroundKind = Literal["plain", "room", "outdoor"]


@dataclass(frozen=True)
class Camera:
    """Where the picture is taken from; ``distance`` in metres from the figure's middle."""

    azimuth: float = 0.0
    elevation: float = 6.0
    distance: float = 5.0

    def __post_init__(self) -> None:
        if not -180 <= self.azimuth <= 180:
            raise ValueError(f"azimuth must be from -180 to 180 degrees, got {self.azimuth!r}")
        if not -10 <= self.elevation <= 80:
            raise ValueError(f"elevation must be from -10 to 80 degrees, got {self.elevation!r}")
        if not 2 <= self.distance <= 50:
            raise ValueError(f"distance must be from 2 to 50 m, got {self.distance!r}")


@dataclass(frozen=True)
class Palette:
    """Colours of one pictured person and their setting, as ``#rrggbb``."""

    skin: str = "#c68e63"
    shirt: str = "#3b6ea5"
    trousers: str = "#2f3640"
    shoes: str = "#1f1f1f"
    hair: str = "#3a2a1d"
    eyes: str = "#2a2a2a"
    watch: str = "#202a33"
    background: BackgroundKind = "plain"
    backdrop: str = "#e9edf2"
    floor: str = "#c9c2b6"
    extras: dict[str, str] = field(default_factory=dict)

    def colour(self, material: str) -> str:
        colour = getattr(self, material, None) if material in _MATERIALS else self.extras.get(material)
        if not isinstance(colour, str):
            raise ValueError(f"no colour for material {material!r}")
        return colour


_MATERIALS = frozenset({"skin", "shirt", "trousers", "shoes", "hair", "eyes", "watch"})


@dataclass(frozen=True)
class View:
    """The camera frame: position, unit right/up/forward vectors, and the pixel mapping."""

    position: Vector
    right: Vector
    up: Vector
    forward: Vector
    focal: float
    offset: tuple[float, float]

    def to_camera(self, p: Vector) -> Vector:
        d = p - self.position
        return np.array([d @ self.right, d @ self.up, d @ self.forward])

    def depth(self, p: Vector) -> float:
        return float((p - self.position) @ self.forward)

    def project(self, p: Vector) -> tuple[float, float]:
        """Pixel coordinates (x right, y down) of a 3D point."""
        x, y, z = self.to_camera(p)
        return self.offset[0] + self.focal * x / z, self.offset[1] - self.focal * y / z

    def jacobian(self, p: Vector) -> NDArray[np.float64]:
        """d(pixel)/d(world) at ``p``: 2x3."""
        x, y, z = self.to_camera(p)
        basis = np.vstack([self.right, self.up, self.forward])
        local = np.array([[1 / z, 0.0, -x / z**2], [0.0, 1 / z, -y / z**2]]) * self.focal
        local[1] *= -1.0
        result: NDArray[np.float64] = local @ basis
        return result


def look_from(camera: Camera, target: Vector) -> tuple[Vector, Vector, Vector, Vector]:
    """Camera position and its right, up and forward unit vectors, looking at ``target``."""
    az, el = math.radians(camera.azimuth), math.radians(camera.elevation)
    direction = np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
    position = target + camera.distance * direction
    forward = -direction
    right = np.cross(forward, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return position, right, up, forward


def frame_view(camera: Camera, height: float, fit_points: list[Vector]) -> View:
    """A view that fits ``fit_points`` (the unmoved figure) in the picture with a margin.

    Framing depends only on the neutral figure and the camera, never on the movement, so a left picture and
    its right counterpart are framed alike.
    """
    target = np.array([0.0, 0.52 * height, 0.0])
    position, right, up, forward = look_from(camera, target)
    probe = View(position, right, up, forward, focal=1.0, offset=(0.0, 0.0))
    pts = np.array([probe.project(p) for p in fit_points])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span_x, span_y = hi - lo
    margin = 0.1
    focal = min(WIDTH * (1 - 2 * margin) / span_x, HEIGHT * (1 - 2 * margin) / span_y)
    centre = (lo + hi) / 2
    offset = (WIDTH / 2 - focal * centre[0], HEIGHT / 2 - focal * centre[1])
    return View(position, right, up, forward, focal=focal, offset=offset)


@dataclass(frozen=True)
class Painted:
    """One primitive ready to paint: its SVG element, its depth and its name."""

    part: str
    depth: float
    svg: str


def _hex(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def shade(colour: str, factor: float) -> str:
    """``colour`` scaled in brightness by ``factor`` (clipped to 0-255 per channel)."""
    r, g, b = (min(255, max(0, round(v * factor))) for v in _hex(colour))
    return f"#{r:02x}{g:02x}{b:02x}"


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def ellipse_outline(view: View, e: Ellipsoid) -> tuple[float, float, float, float, float]:
    """Centre, semi-axes and rotation (degrees) of an ellipsoid's projected outline."""
    cx, cy = view.project(e.center)
    lin = view.jacobian(e.center) @ e.axes
    cov = lin @ lin.T
    values, vectors = np.linalg.eigh(cov)
    rx, ry = math.sqrt(max(values[1], 1e-9)), math.sqrt(max(values[0], 1e-9))
    major = vectors[:, 1]
    angle = math.degrees(math.atan2(major[1], major[0]))
    return cx, cy, rx, ry, angle


def _faces_camera(view: View, e: Ellipsoid) -> bool:
    if e.facing is None:
        return True
    to_camera = view.position - e.center
    to_camera = to_camera / np.linalg.norm(to_camera)
    return float(e.facing @ to_camera) > 0.15


def paint_order(view: View, body: PosedBody) -> list[Primitive]:
    """The visible primitives from farthest to nearest (ties keep the model's order)."""
    visible = [p for p in body.primitives if not isinstance(p, Ellipsoid) or _faces_camera(view, p)]
    return sorted(visible, key=lambda p: -_depth(view, p))


def _depth(view: View, p: Primitive) -> float:
    if isinstance(p, Capsule):
        depth = view.depth((p.a + p.b) / 2)
        return depth - (0.03 if p.part == "watch" else 0.0)
    if p.anchor is not None:  # a face or marking of the trunk: painted right after it (ties keep order)
        return view.depth(p.anchor)
    bias = 0.02 if p.facing is not None else 0.0
    return view.depth(p.center) - bias


def _tone(view: View, p: Primitive) -> float:
    """The part's own brightness; a face of the trunk is brighter the more squarely it faces the camera."""
    if isinstance(p, Capsule):
        return 1.0
    if p.anchor is None or p.facing is None:
        return p.tone
    to_camera = view.position - p.center
    cos = float(p.facing @ to_camera) / float(np.linalg.norm(to_camera))
    return p.tone * (0.82 + 0.2 * cos)


def _paint(view: View, palette: Palette, p: Primitive, light: float) -> str:
    light *= _tone(view, p)
    fill = shade(palette.colour(p.material), light)
    edge = shade(palette.colour(p.material), light * 0.72)
    if isinstance(p, Capsule):
        (x1, y1), (x2, y2) = view.project(p.a), view.project(p.b)
        mid = (p.a + p.b) / 2
        width = 2 * p.radius * view.focal / view.depth(mid)
        common = f'x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke-linecap="round"'
        return (
            f'<g><line {common} stroke="{edge}" stroke-width="{_n(width + 1.6)}"/>'
            f'<line {common} stroke="{fill}" stroke-width="{_n(width)}"/></g>'
        )
    cx, cy, rx, ry, angle = ellipse_outline(view, p)
    stroke = "" if p.facing is not None else f' stroke="{edge}" stroke-width="0.8"'
    return (
        f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(rx)}" ry="{_n(ry)}" '
        f'transform="rotate({_n(angle)} {_n(cx)} {_n(cy)})" fill="{fill}"{stroke}/>'
    )


def _background(view: View, palette: Palette, height: float) -> list[str]:
    parts = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{palette.backdrop}"/>']
    if palette.background == "plain":
        return parts
    # the horizon: where the ground 6 m behind the figure (away from the camera) appears
    away = np.array([view.forward[0], 0.0, view.forward[2]])
    norm = float(np.linalg.norm(away))
    if norm < 1e-6:
        horizon = 0.0
    else:
        behind = away / norm * 6.0
        horizon = view.project(behind)[1]
    horizon = min(max(horizon, 0.0), HEIGHT * 0.9)
    ground = palette.floor
    parts.append(
        f'<rect x="0" y="{_n(horizon)}" width="{WIDTH}" height="{_n(HEIGHT - horizon)}" fill="{ground}"/>'
    )
    if palette.background == "room" and horizon > 8:
        parts.append(
            f'<rect x="0" y="{_n(horizon - 7)}" width="{WIDTH}" height="7" fill="{shade(palette.backdrop, 0.8)}"/>'
        )
        for x in (60, 300):
            parts.append(
                f'<rect x="{x - 28}" y="{_n(max(horizon * 0.25, 4))}" width="56" height="{_n(horizon * 0.35)}" '
                f'fill="{shade(palette.backdrop, 1.06)}" stroke="{shade(palette.backdrop, 0.75)}" stroke-width="3"/>'
            )
    if palette.background == "outdoor" and horizon > 8:
        for x, size in ((48, 1.0), (318, 0.8)):
            trunk_top = horizon - 36 * size
            parts.append(
                f'<rect x="{_n(x - 4 * size)}" y="{_n(trunk_top)}" width="{_n(8 * size)}" height="{_n(40 * size)}" '
                f'fill="#6b4f2a"/>'
            )
            parts.append(
                f'<ellipse cx="{x}" cy="{_n(trunk_top - 22 * size)}" rx="{_n(26 * size)}" ry="{_n(32 * size)}" '
                f'fill="#4f7f3a"/>'
            )
    # a soft shadow under the feet
    ring = [
        np.array([0.2 * height * math.cos(t), 0.0, 0.14 * height * math.sin(t)])
        for t in np.linspace(0, 6.283, 24)
    ]
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in (view.project(p) for p in ring))
    parts.append(f'<polygon points="{pts}" fill="#000000" fill-opacity="0.12"/>')
    return parts


def render_svg(body: PosedBody, view: View, palette: Palette, *, height: float, title: str) -> str:
    """The picture as one ``<svg>`` element (see the module docstring for what it contains).

    ``view`` is the camera frame (`frame_view`), ``height`` the person's standing height in metres.
    """
    order = paint_order(view, body)
    depths = [_depth(view, p) for p in order]
    near, far = min(depths), max(depths)
    span = max(far - near, 1e-6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(title, quote=True)}">',
        f"<title>{html.escape(title)}</title>",
    ]
    parts += _background(view, palette, height)
    for p, depth in zip(order, depths, strict=True):
        light = 1.06 - 0.2 * (depth - near) / span
        parts.append(_paint(view, palette, p, light))
    parts.append("</svg>")
    return "\n".join(parts)
