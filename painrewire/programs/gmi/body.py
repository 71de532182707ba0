"""A small 3D body model for left/right judgement pictures: a standing person whose trunk turns or bends.

The figure is built from capsules (limbs, neck) and ellipsoids (pelvis, abdomen, chest, shoulders, head, hair,
face and hands) in the figure's own frame, so that "left" always means the pictured person's left:

* ``x`` points to the person's **left**, ``y`` **up**, ``z`` **forward** (the way the person faces); the
  frame is right-handed and lengths are in metres, the feet on the ground at ``y = 0``.
* **Rotation** turns the trunk about the vertical axis. Turning to the left is a positive angle about
  ``+y``: the chest comes to face the person's left, the right shoulder moves forward and the left shoulder
  back.
* **Side-bending** tilts the trunk about the antero-posterior axis. Bending to the left tilts the top of the
  trunk towards ``+x`` (a negative angle about ``+z``): the left shoulder drops, the right shoulder rises.

The pelvis and legs stay still (the feet are planted); the movement is shared between a lower pivot at the
lumbosacral junction and an upper pivot at the thoracolumbar junction, rotation mostly thoracic and
side-bending mostly lumbar, as in the spine. Segment positions are fractions of standing height taken from
Drillis and Contini's body-segment proportions (Winter, *Biomechanics and Motor Control of Human Movement*,
4th ed., 2009, fig. 4.1), so every body shape stays a plausible person.

Pure numpy; no web, database or template code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]

Side = Literal["left", "right"]
Movement = Literal["rotation", "side_bend"]
ArmPose = Literal["at_sides", "crossed", "hands_on_head"]

SIDES: tuple[Side, ...] = ("left", "right")
MOVEMENTS: tuple[Movement, ...] = ("rotation", "side_bend")
ARM_POSES: tuple[ArmPose, ...] = ("at_sides", "crossed", "hands_on_head")

#: Share of the movement taken by the lower (lumbosacral) pivot; the thoracolumbar pivot takes the rest.
LUMBAR_SHARE: dict[Movement, float] = {"rotation": 0.3, "side_bend": 0.6}

#: Pivot heights as fractions of standing height.
LUMBOSACRAL = 0.575
THORACOLUMBAR = 0.68


def rotation_about(axis: str, degrees: float) -> NDArray[np.float64]:
    """The 3x3 rotation matrix for a right-handed turn of ``degrees`` about the ``x``, ``y`` or ``z`` axis."""
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    if axis == "x":
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == "y":
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    if axis == "z":
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    raise ValueError(f"axis must be 'x', 'y' or 'z', got {axis!r}")


def trunk_rotation(movement: Movement, side: Side, degrees: float) -> NDArray[np.float64]:
    """The whole trunk movement as one rotation matrix in the figure's frame (see the module docstring)."""
    if movement not in MOVEMENTS:
        raise ValueError(f"movement must be one of {', '.join(MOVEMENTS)}, got {movement!r}")
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if not 0 <= degrees <= 90:
        raise ValueError(f"the trunk angle must be from 0 to 90 degrees, got {degrees!r}")
    sign = 1.0 if side == "left" else -1.0
    if movement == "rotation":
        return rotation_about("y", sign * degrees)
    return rotation_about("z", -sign * degrees)


@dataclass(frozen=True)
class BodyShape:
    """Proportions that vary between pictured people; 1.0 is an average adult."""

    height: float = 1.72
    shoulders: float = 1.0
    girth: float = 1.0
    hips: float = 1.0
    long_hair: bool = False
    long_sleeves: bool = False

    def __post_init__(self) -> None:
        if not 1.4 <= self.height <= 2.1:
            raise ValueError(f"height must be from 1.4 to 2.1 m, got {self.height!r}")
        for name in ("shoulders", "girth", "hips"):
            value = getattr(self, name)
            if not 0.7 <= value <= 1.5:
                raise ValueError(f"{name} must be from 0.7 to 1.5 times average, got {value!r}")


@dataclass(frozen=True)
class Pose:
    """The trunk movement pictured, and what the arms are doing."""

    movement: Movement
    side: Side
    degrees: float
    arms: ArmPose = "at_sides"

    def __post_init__(self) -> None:
        trunk_rotation(self.movement, self.side, self.degrees)  # validates
        if self.arms not in ARM_POSES:
            raise ValueError(f"arms must be one of {', '.join(ARM_POSES)}, got {self.arms!r}")


@dataclass(frozen=True)
class Ellipsoid:
    """``{center + axes @ u : |u| <= 1}``; the columns of ``axes`` are the three semi-axis vectors."""

    part: str
    material: str
    center: Vector
    axes: NDArray[np.float64]
    #: Outward direction of a small surface feature (eye, nose, ear): hidden when it faces away.
    facing: Vector | None = None
    #: Brightness of the material on this part (1 = as the palette has it; the trunk's sides are darker).
    tone: float = 1.0
    #: For a marking on a larger part's surface: that part's centre, which sets when it is painted (just
    #: after the part, so a nearer arm still covers it).
    anchor: Vector | None = None


@dataclass(frozen=True)
class Capsule:
    """All points within ``radius`` of the segment from ``a`` to ``b`` (a limb, the neck)."""

    part: str
    material: str
    a: Vector
    b: Vector
    radius: float


Primitive = Ellipsoid | Capsule


@dataclass(frozen=True)
class PosedBody:
    """The posed figure: its primitives and the named joints used by tests and by the renderer's framing."""

    primitives: tuple[Primitive, ...]
    joints: dict[str, Vector]

    def part(self, name: str) -> Primitive:
        for p in self.primitives:
            if p.part == name:
                return p
        raise KeyError(name)


def _v(x: float, y: float, z: float) -> Vector:
    return np.array([x, y, z], dtype=np.float64)


def _diag(a: float, b: float, c: float) -> NDArray[np.float64]:
    return np.diag([a, b, c]).astype(np.float64)


class _Chain:
    """The trunk's two pivots: points below the lumbosacral pivot stay put, points above follow the spine."""

    def __init__(self, height: float, pose: Pose) -> None:
        share = LUMBAR_SHARE[pose.movement]
        self.lower_pivot = _v(0.0, LUMBOSACRAL * height, 0.0)
        self.upper_pivot = _v(0.0, THORACOLUMBAR * height, 0.0)
        self.r_lower = trunk_rotation(pose.movement, pose.side, pose.degrees * share)
        self.r_total = trunk_rotation(pose.movement, pose.side, pose.degrees)
        self.moved_upper_pivot = self.lower(self.upper_pivot)

    def lower(self, p: Vector) -> Vector:
        """A point of the lumbar segment (between the two pivots)."""
        return self.lower_pivot + self.r_lower @ (p - self.lower_pivot)

    def upper(self, p: Vector) -> Vector:
        """A point of the thorax, shoulder girdle, arms, neck or head."""
        return self.moved_upper_pivot + self.r_total @ (p - self.upper_pivot)


def _arm_points(
    pose: ArmPose, side_sign: float, h: float, shoulder_x: float
) -> tuple[Vector, Vector, Vector, Vector]:
    """Shoulder, elbow, wrist and fingertip of one arm in the unmoved thorax frame (``side_sign`` +1 = left)."""
    sx = side_sign * shoulder_x
    shoulder = _v(sx, 0.812 * h, -0.005 * h)
    if pose == "at_sides":
        elbow = _v(sx + side_sign * 0.035 * h, 0.632 * h, -0.012 * h)
        wrist = _v(sx + side_sign * 0.05 * h, 0.49 * h, 0.01 * h)
        tip = _v(sx + side_sign * 0.052 * h, 0.405 * h, 0.022 * h)
    elif pose == "crossed":
        elbow = _v(sx + side_sign * 0.01 * h, 0.665 * h, 0.075 * h)
        # the left forearm lies in front of the right one
        depth = 0.118 if side_sign > 0 else 0.1
        wrist = _v(-side_sign * 0.075 * h, 0.728 * h, depth * h)
        tip = _v(-side_sign * 0.125 * h, 0.742 * h, (depth - 0.012) * h)
    else:  # hands_on_head: elbows wide, fingers behind the head
        elbow = _v(side_sign * (shoulder_x + 0.1 * h), 0.9 * h, 0.01 * h)
        wrist = _v(side_sign * 0.06 * h, 0.985 * h, -0.035 * h)
        tip = _v(side_sign * 0.005 * h, 1.005 * h, -0.04 * h)
    return shoulder, elbow, wrist, tip


#: The trunk's front and back faces: the rim of the cap cut off the trunk's ellipsoid by a plane at this
#: fraction of its depth from the centre (the rim's semi-axes are ``sqrt(1 - CAP**2)`` of the trunk's).
CAP = 0.6
#: Brightness of the trunk's sides against its front and back faces.
SIDE_TONE = 0.7
#: Brightness of seams (the shirt's front placket, the groove over the spine) and of the shoulder blades.
SEAM_TONE = 0.6
BLADE_TONE = 0.86


def _trunk_part(
    part: str, center: Vector, rot: NDArray[np.float64], radii: tuple[float, float, float]
) -> list[Primitive]:
    """A trunk segment as a rounded box: a darker ellipsoid (its sides) and its front and back faces.

    When the trunk turns, its front face slides towards the side it turns to and the opposite side comes
    into view as a darker band; seen from behind, the back face does the same. So the turn shows in the
    trunk itself, as in a photograph of a person, and not only in the head.
    """
    w, hh, d = radii
    rim = math.sqrt(1 - CAP**2)
    out: list[Primitive] = [Ellipsoid(part, "shirt", center, rot @ _diag(w, hh, d), tone=SIDE_TONE)]
    for face, sign in (("front", 1.0), ("back", -1.0)):
        normal = rot @ _v(0.0, 0.0, sign)
        out.append(
            Ellipsoid(
                f"{part}_{face}",
                "shirt",
                center + normal * CAP * d,
                rot @ _diag(rim * w, rim * hh, 0.002 * d),
                facing=normal,
                anchor=center,
            )
        )
    return out


def _chest_markings(
    center: Vector, rot: NDArray[np.float64], radii: tuple[float, float, float], h: float
) -> list[Primitive]:
    """Landmarks that turn with the chest: the shirt's placket down the sternum in front; the groove over
    the spine and the two shoulder blades behind.

    Each is a flat ellipse lying in the chest's surface, sunk just enough that all of it stays inside the
    chest (so it never pokes out of the outline from any camera).
    """
    w, hh, d = radii
    out: list[Primitive] = []
    # part, (x, y) from the chest's centre and semi-axes (fractions of height), tilt in degrees, side,
    # brightness
    marks = (
        ("placket", (0.0, -0.004), (0.006, 0.056), 0.0, 1.0, SEAM_TONE),
        ("spine_groove", (0.0, -0.004), (0.006, 0.066), 0.0, -1.0, SEAM_TONE),
        ("blade_left", (0.042, 0.022), (0.026, 0.036), 12.0, -1.0, BLADE_TONE),
        ("blade_right", (-0.042, 0.022), (0.026, 0.036), -12.0, -1.0, BLADE_TONE),
    )
    for part, (x, y), (rx, ry), tilt, side, tone in marks:
        corner = ((abs(x) + rx) * h / w) ** 2 + ((abs(y) + ry) * h / hh) ** 2
        depth = d * math.sqrt(max(1.0 - corner, 0.0))
        normal = rot @ _v(0.0, 0.0, side)
        axes = rot @ rotation_about("z", tilt) @ _diag(rx * h, ry * h, 0.002 * d)
        on_surface = center + rot @ _v(x * h, y * h, side * depth)
        out.append(Ellipsoid(part, "shirt", on_surface, axes, facing=normal, tone=tone, anchor=center))
    return out


def pose_body(shape: BodyShape, pose: Pose, *, watch: bool = False) -> PosedBody:
    """Build the posed figure from its shape and pose.

    Parameters
    ----------
    shape : BodyShape
        Height in metres and proportions.
    pose : Pose
        Movement (rotation or side-bending), side (the person's left or right), angle in degrees and arms.
    watch : bool
        Put a wristwatch on the person's left wrist (an asymmetric detail that shows a picture was not
        mirrored).

    Returns
    -------
    body : PosedBody
        Primitives in the figure's frame, and joints (``shoulder_left``, ``shoulder_right``, ``head``,
        ``chest``, ``pelvis``, ...) as 3-vectors in metres.
    """
    h = shape.height
    chain = _Chain(h, pose)
    prims: list[Primitive] = []
    joints: dict[str, Vector] = {}
    hip_x = 0.052 * h * shape.hips
    shoulder_x = 0.118 * h * shape.shoulders
    g = shape.girth

    # legs and pelvis: fixed
    for side_name, sign in (("right", -1.0), ("left", 1.0)):
        hip = _v(sign * hip_x, 0.53 * h, 0.0)
        knee = _v(sign * (hip_x + 0.004 * h), 0.285 * h, 0.008 * h)
        ankle = _v(sign * (hip_x + 0.008 * h), 0.045 * h, -0.005 * h)
        toe = _v(sign * (hip_x + 0.02 * h), 0.02 * h, 0.11 * h)
        prims.append(Capsule(f"thigh_{side_name}", "trousers", hip, knee, 0.037 * h * (0.85 + 0.15 * g)))
        prims.append(Capsule(f"shank_{side_name}", "trousers", knee, ankle, 0.027 * h * (0.9 + 0.1 * g)))
        prims.append(Capsule(f"foot_{side_name}", "shoes", ankle - _v(0, 0, 0.012 * h), toe, 0.021 * h))
        joints[f"hip_{side_name}"], joints[f"toe_{side_name}"] = hip, toe
    pelvis_c = _v(0.0, 0.545 * h, -0.004 * h)
    prims.append(
        Ellipsoid(
            "pelvis", "trousers", pelvis_c, _diag(0.1 * h * shape.hips * g**0.5, 0.062 * h, 0.068 * h * g)
        )
    )
    joints["pelvis"] = pelvis_c

    # lumbar segment
    abdomen_c = _v(0.0, 0.628 * h, 0.004 * h)
    abdomen_r = (0.092 * h * g, 0.07 * h, 0.066 * h * g)
    prims += _trunk_part("abdomen", chain.lower(abdomen_c), chain.r_lower, abdomen_r)

    # thorax and everything above it
    chest_c = _v(0.0, 0.736 * h, 0.006 * h)
    chest_r = (0.104 * h * g**0.7 * shape.shoulders**0.5, 0.09 * h, 0.07 * h * g)
    prims += _trunk_part("chest", chain.upper(chest_c), chain.r_total, chest_r)
    prims += _chest_markings(chain.upper(chest_c), chain.r_total, chest_r, h)
    joints["chest"] = chain.upper(chest_c)
    neck_a, neck_b = _v(0.0, 0.8 * h, -0.006 * h), _v(0.0, 0.868 * h, 0.0)
    prims.append(Capsule("neck", "skin", chain.upper(neck_a), chain.upper(neck_b), 0.026 * h))
    head_c = _v(0.0, 0.925 * h, 0.006 * h)
    head_axes = _diag(0.045 * h, 0.066 * h, 0.054 * h)
    prims.append(Ellipsoid("head", "skin", chain.upper(head_c), chain.r_total @ head_axes))
    joints["head"] = chain.upper(head_c)
    hair_c = _v(0.0, 0.943 * h, -0.01 * h)
    prims.append(
        Ellipsoid("hair", "hair", chain.upper(hair_c), chain.r_total @ _diag(0.0475 * h, 0.06 * h, 0.054 * h))
    )
    if shape.long_hair:
        prims.append(
            Ellipsoid(
                "hair_long",
                "hair",
                chain.upper(_v(0.0, 0.885 * h, -0.03 * h)),
                chain.r_total @ _diag(0.05 * h, 0.07 * h, 0.03 * h),
            )
        )
    forward = chain.r_total @ _v(0.0, 0.0, 1.0)
    for name, local, radii, facing in (
        ("nose", _v(0.0, 0.92 * h, 0.058 * h), (0.008, 0.012, 0.01), _v(0, 0, 1)),
        ("eye_left", _v(0.017 * h, 0.94 * h, 0.052 * h), (0.0065, 0.005, 0.004), _v(0.25, 0, 1)),
        ("eye_right", _v(-0.017 * h, 0.94 * h, 0.052 * h), (0.0065, 0.005, 0.004), _v(-0.25, 0, 1)),
        ("ear_left", _v(0.045 * h, 0.928 * h, 0.0), (0.005, 0.016, 0.011), _v(1, 0, 0)),
        ("ear_right", _v(-0.045 * h, 0.928 * h, 0.0), (0.005, 0.016, 0.011), _v(-1, 0, 0)),
    ):
        material = "eyes" if name.startswith("eye") else "skin"
        facing_world = chain.r_total @ (facing / np.linalg.norm(facing))
        prims.append(
            Ellipsoid(
                name,
                material,
                chain.upper(local),
                chain.r_total @ _diag(radii[0] * h, radii[1] * h, radii[2] * h),
                facing=facing_world,
            )
        )
    joints["facing"] = forward

    sleeve = "shirt" if shape.long_sleeves else "skin"
    for side_name, sign in (("right", -1.0), ("left", 1.0)):
        shoulder, elbow, wrist, tip = (chain.upper(p) for p in _arm_points(pose.arms, sign, h, shoulder_x))
        upper_r = 0.03 * h * (0.85 + 0.15 * g)
        prims.append(
            Ellipsoid(
                f"shoulder_{side_name}",
                "shirt",
                shoulder,
                chain.r_total @ _diag(0.034 * h, 0.03 * h, 0.032 * h) * (0.9 + 0.1 * g),
            )
        )
        prims.append(Capsule(f"upper_arm_{side_name}", "shirt", shoulder, elbow, upper_r))
        prims.append(Capsule(f"forearm_{side_name}", sleeve, elbow, wrist, 0.023 * h))
        hand_dir = tip - wrist
        hand_c = wrist + 0.55 * hand_dir
        length = float(np.linalg.norm(hand_dir))
        u = hand_dir / length
        w = np.cross(u, chain.r_total @ _v(0, 0, 1))
        if np.linalg.norm(w) < 1e-6:
            w = np.cross(u, _v(1, 0, 0))
        w = w / np.linalg.norm(w)
        n = np.cross(u, w)
        axes = np.column_stack([u * 0.55 * length, w * 0.026 * h, n * 0.012 * h])
        prims.append(Ellipsoid(f"hand_{side_name}", "skin", hand_c, axes))
        joints[f"shoulder_{side_name}"], joints[f"elbow_{side_name}"] = shoulder, elbow
        joints[f"wrist_{side_name}"] = wrist
        if watch and side_name == "left":
            band_a = wrist + (elbow - wrist) * 0.07
            band_b = wrist + (elbow - wrist) * 0.15
            prims.append(Capsule("watch", "watch", band_a, band_b, 0.026 * h))
    return PosedBody(tuple(prims), joints)
