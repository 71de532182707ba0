"""The catalogue of left/right judgement pictures, generated from the 3D body model, and the plan of a block.

Every picture is fully determined by its stimulus id: the id names a movement (rotation or side-bending), a
side (the pictured person's left or right), a view (front, back, oblique, side, above), an angle class
(subtle, small, medium, large, extreme) and a variant. The variant fixes the person's appearance (body
shape, skin tone, clothes, hair, arms, wristwatch), the camera and the background, drawn from a seeded
generator whose seed leaves the side out: each left picture has a right twin identical in everything but
the side, so the catalogue is exactly balanced and a patient cannot learn a side from a shirt colour.

Ids are opaque (``t`` and 11 hex digits of a hash), so a picture's address does not give its answer away.
Pure code (numpy and the standard library); no web, database or template code.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from painrewire.programs.gmi.body import (
    ARM_POSES,
    MOVEMENTS,
    SIDES,
    ArmPose,
    BodyShape,
    Movement,
    Pose,
    PosedBody,
    Side,
    Vector,
    pose_body,
)
from painrewire.programs.gmi.render import BackgroundKind, Camera, Palette, View, frame_view, render_svg

GENERATOR_VERSION = "v1"
#: How the pictures are drawn. Ids and appearances come from `GENERATOR_VERSION` and stay, so stored blocks
#: keep their pictures; a new drawing (2: the trunk has faces and landmarks that show its turn) gets a new
#: address and validator, so no browser keeps showing the old drawing from its cache.
DRAWING_VERSION = 2

ViewName = Literal["front", "back", "oblique", "side", "above"]
AngleClass = Literal["subtle", "small", "medium", "large", "extreme"]
VIEWS: tuple[ViewName, ...] = ("front", "back", "oblique", "side", "above")
ANGLE_CLASSES: tuple[AngleClass, ...] = ("subtle", "small", "medium", "large", "extreme")
VARIANTS = 3

#: Trunk angle in degrees for each movement and angle class (a variant adds -2, 0 or +2 degrees).
ANGLES: dict[Movement, dict[AngleClass, float]] = {
    "rotation": {"subtle": 10, "small": 18, "medium": 28, "large": 40, "extreme": 55},
    "side_bend": {"subtle": 7, "small": 12, "medium": 18, "large": 26, "extreme": 34},
}
VIEW_LABELS: dict[ViewName, str] = {
    "front": "from the front",
    "back": "from behind",
    "oblique": "from the front and to one side",
    "side": "from the side",
    "above": "from above",
}

#: Skin tones from very light to very dark (six steps, roughly Fitzpatrick types I to VI).
SKIN_TONES = ("#f3d5c0", "#e6b591", "#cf9a6c", "#a86d45", "#7a4a2c", "#4b2d1c")
SHIRTS = ("#3b6ea5", "#b23a48", "#2e7d5b", "#e0a030", "#6d4c9f", "#2a9d8f", "#c8684f", "#555b6e", "#f0f0ea")
TROUSERS = ("#2f3640", "#3d4f6e", "#5b4636", "#6b6f76", "#1f2a44", "#7a6a4f", "#394a3a")
HAIR = ("#1c1410", "#3a2a1d", "#6b4a2b", "#a67c52", "#d8c08a", "#9a9a9a")
SHOES = ("#1f1f1f", "#5a3b22", "#e8e8e8", "#263a5e")
PLAIN_BACKDROPS = ("#e9edf2", "#f2ece4", "#e4eee8", "#eee6f0", "#dfe6ee")
ROOMS = (("#e8e1d5", "#b79f7f"), ("#dfe7ea", "#9c8e7d"), ("#efe7dc", "#8d9aa3"))
OUTDOORS = (("#cfe4f5", "#9cc27a"), ("#d9ecf7", "#a8c98a"))


@dataclass(frozen=True)
class Appearance:
    """Everything about a picture except the movement: who is pictured, from where, against what."""

    shape: BodyShape
    arms: ArmPose
    watch: bool
    palette: Palette
    camera: Camera


@dataclass(frozen=True)
class Stimulus:
    """One picture of the catalogue and its true answer."""

    id: str
    movement: Movement
    side: Side
    view: ViewName
    angle_class: AngleClass
    degrees: float
    variant: int
    appearance: Appearance

    @property
    def title(self) -> str:
        """Accessible name of the picture; says nothing about the side."""
        return f"A person standing, pictured {VIEW_LABELS[self.view]}"

    def body(self) -> PosedBody:
        pose = Pose(self.movement, self.side, self.degrees, self.appearance.arms)
        return pose_body(self.appearance.shape, pose, watch=self.appearance.watch)


def stimulus_id(movement: str, side: str, view: str, angle_class: str, variant: int) -> str:
    key = f"{GENERATOR_VERSION}|{movement}|{side}|{view}|{angle_class}|{variant}"
    return "t" + hashlib.sha256(key.encode()).hexdigest()[:11]


def _camera(view: ViewName, rng: random.Random) -> Camera:
    jitter = rng.uniform(-6, 6)
    distance = rng.uniform(4.5, 6.0)
    if view == "front":
        return Camera(jitter, rng.uniform(3, 10), distance)
    if view == "back":
        return Camera(180 - abs(jitter) if jitter >= 0 else -180 + abs(jitter), rng.uniform(3, 10), distance)
    which = rng.choice((1.0, -1.0))  # from the person's left (+) or right (-) side
    if view == "oblique":
        return Camera(which * rng.uniform(35, 48), rng.uniform(5, 12), distance)
    if view == "side":
        return Camera(which * rng.uniform(66, 80), rng.uniform(5, 12), distance)
    behind = rng.random() < 0.5
    azimuth = (180 - abs(jitter) * 2) * (1 if jitter >= 0 else -1) if behind else jitter * 2
    return Camera(azimuth, rng.uniform(55, 68), distance)


def _appearance(movement: Movement, view: ViewName, angle_class: AngleClass, variant: int) -> Appearance:
    key = f"{GENERATOR_VERSION}|{movement}|{view}|{angle_class}|{variant}"
    rng = random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))
    shape = BodyShape(
        height=round(rng.uniform(1.55, 1.92), 3),
        shoulders=round(rng.uniform(0.88, 1.12), 3),
        girth=round(rng.choice((rng.uniform(0.85, 1.05), rng.uniform(1.05, 1.4))), 3),
        hips=round(rng.uniform(0.9, 1.18), 3),
        long_hair=rng.random() < 0.35,
        long_sleeves=rng.random() < 0.4,
    )
    arms: ArmPose = rng.choices(ARM_POSES, weights=(5, 3, 2))[0]
    background: BackgroundKind = rng.choices(("plain", "room", "outdoor"), weights=(4, 3, 2))[0]
    if background == "plain":
        backdrop, floor = rng.choice(PLAIN_BACKDROPS), "#cfc8bd"
    elif background == "room":
        backdrop, floor = rng.choice(ROOMS)
    else:
        backdrop, floor = rng.choice(OUTDOORS)
    palette = Palette(
        skin=rng.choice(SKIN_TONES),
        shirt=rng.choice(SHIRTS),
        trousers=rng.choice(TROUSERS),
        shoes=rng.choice(SHOES),
        hair=rng.choice(HAIR),
        background=background,
        backdrop=backdrop,
        floor=floor,
    )
    return Appearance(shape, arms, rng.random() < 0.3, palette, _camera(view, rng))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Stimulus]:
    """Every picture, by id: 2 movements x 2 sides x 5 views x 5 angle classes x 3 variants = 300."""
    found: dict[str, Stimulus] = {}
    for movement in MOVEMENTS:
        for view in VIEWS:
            for angle_class in ANGLE_CLASSES:
                for variant in range(VARIANTS):
                    appearance = _appearance(movement, view, angle_class, variant)
                    degrees = ANGLES[movement][angle_class] + (variant - 1) * 2
                    for side in SIDES:
                        sid = stimulus_id(movement, side, view, angle_class, variant)
                        found[sid] = Stimulus(
                            sid, movement, side, view, angle_class, float(degrees), variant, appearance
                        )
    return found


def stimulus(stimulus_id: str) -> Stimulus:
    """The picture with this id; ``KeyError`` if there is none."""
    return catalogue()[stimulus_id]


def framing(stim: Stimulus) -> View:
    """The camera view a picture is drawn with (see `render`): the same for a left picture and its twin."""
    h = stim.appearance.shape.height
    fit: list[Vector] = []
    for side in SIDES:
        for degrees in (0.0, stim.degrees):
            pose = Pose(stim.movement, side, degrees, stim.appearance.arms)
            joints = pose_body(stim.appearance.shape, pose).joints
            fit += [p for name, p in joints.items() if name != "facing"]
            top = joints["head"].copy()
            top[1] += 0.075 * h
            fit.append(top)
    # and a cylinder around the standing person, so every view is framed at a similar scale
    for y in (0.0, h):
        fit += [
            np.array([0.17 * h * math.cos(t), y, 0.17 * h * math.sin(t)])
            for t in np.linspace(0, 2 * math.pi, 16)
        ]
    return frame_view(stim.appearance.camera, h, fit)


def render(stim: Stimulus) -> str:
    """Draw one picture as SVG (deterministic: the same id always gives the same bytes).

    The picture is framed to fit the person standing straight and moving to both sides, so a left picture
    and its right twin share one framing.
    """
    return render_svg(
        stim.body(),
        framing(stim),
        stim.appearance.palette,
        height=stim.appearance.shape.height,
        title=stim.title,
    )


@lru_cache(maxsize=512)
def svg(stimulus_id: str) -> str:
    """The picture's SVG, rendered once per process and then served from memory."""
    return render(stimulus(stimulus_id))


def etag(stimulus_id: str) -> str:
    """A strong validator for the picture: its generator and drawing versions and its id fix its bytes."""
    return f'"{GENERATOR_VERSION}.{DRAWING_VERSION}-{stimulus_id}"'


# --- the plan of a block ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTrial:
    """One picture in a block, in the order shown."""

    index: int
    stimulus_id: str
    side: Side
    movement: Movement
    view: ViewName
    angle_class: AngleClass
    degrees: float
    is_practice: bool

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "stimulus_id": self.stimulus_id,
            "side": self.side,
            "movement": self.movement,
            "view": self.view,
            "angle_class": self.angle_class,
            "degrees": self.degrees,
            "is_practice": self.is_practice,
        }


#: No more than this many pictures in a row share a side, so a run of one answer is never a free ride.
MAX_SAME_SIDE_RUN = 3


def eligible(views: tuple[str, ...], angle_classes: tuple[str, ...]) -> list[Stimulus]:
    """Pictures of the given views and angle classes, in catalogue order."""
    return [s for s in catalogue().values() if s.view in views and s.angle_class in angle_classes]


def _pick(pool: list[Stimulus], count: int, rng: random.Random, exclude: set[str]) -> list[Stimulus]:
    """``count`` pictures from ``pool``, spread evenly over its (view, angle class) groups; a picture repeats
    only when the pool is smaller than ``count``."""
    groups: dict[tuple[str, str], list[Stimulus]] = defaultdict(list)
    for s in pool:
        if s.id not in exclude:
            groups[(s.view, s.angle_class)].append(s)
    keys = sorted(groups)
    rng.shuffle(keys)
    for key in keys:
        rng.shuffle(groups[key])
    chosen: list[Stimulus] = []
    while len(chosen) < count:
        progressed = False
        for key in keys:
            if groups[key] and len(chosen) < count:
                chosen.append(groups[key].pop())
                progressed = True
        if not progressed:  # pool exhausted: allow repeats from the whole pool
            refill = [s for s in pool if s.id not in exclude] or pool
            for key in keys:
                groups[key] = [s for s in refill if (s.view, s.angle_class) == key]
                rng.shuffle(groups[key])
            if not any(groups.values()):
                raise ValueError("no pictures to choose from")
    return chosen


def _longest_run(sides: list[str]) -> int:
    best = run = 0
    previous = None
    for side in sides:
        run = run + 1 if side == previous else 1
        previous = side
        best = max(best, run)
    return best


def build_plan(
    *, views: tuple[str, ...], angle_classes: tuple[str, ...], trials: int, practice: int, seed: int
) -> list[PlannedTrial]:
    """The pictures of one block: ``practice`` practice trials, then ``trials`` scored ones in random order.

    Scored trials are balanced exactly: the same number for each side and movement (so ``trials`` must be a
    multiple of 4), spread over the level's views and angle classes; no more than ``MAX_SAME_SIDE_RUN``
    consecutive pictures share a side. Practice trials cover each side and movement once per four, and are
    different pictures from the scored ones where the level has enough. The same seed gives the same plan.
    """
    if trials < 4 or trials % 4:
        raise ValueError(f"the number of trials must be a positive multiple of 4, got {trials!r}")
    if practice < 0:
        raise ValueError(f"practice trials must be 0 or more, got {practice!r}")
    pool = eligible(views, angle_classes)
    if not pool:
        raise ValueError(f"no pictures for views {views} and angles {angle_classes}")
    rng = random.Random(seed)
    per_cell = trials // 4
    scored: list[Stimulus] = []
    cells = [(m, s) for m in MOVEMENTS for s in SIDES]
    for movement, side in cells:
        cell = [p for p in pool if p.movement == movement and p.side == side]
        scored += _pick(cell, per_cell, rng, set())
    used = {s.id for s in scored}
    warmup: list[Stimulus] = []
    for k in range(practice):
        movement, side = cells[k % 4]
        cell = [p for p in pool if p.movement == movement and p.side == side]
        warmup += _pick(cell, 1, rng, used | {w.id for w in warmup})
    rng.shuffle(warmup)
    order = list(scored)
    for _ in range(2000):
        rng.shuffle(order)
        if _longest_run([s.side for s in order]) <= MAX_SAME_SIDE_RUN:
            break
    else:  # pragma: no cover - practically unreachable for balanced blocks
        raise ValueError("could not order the block without long runs of one side")
    planned = [(s, True) for s in warmup] + [(s, False) for s in order]
    return [
        PlannedTrial(i, s.id, s.side, s.movement, s.view, s.angle_class, s.degrees, is_practice)
        for i, (s, is_practice) in enumerate(planned)
    ]
