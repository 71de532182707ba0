"""Left/right pictures: a picture labelled left shows a movement to the pictured person's left, in every view;
the catalogue is large, varied and balanced; a block is balanced and in random order."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

from painrewire.programs.gmi import body, render, stimuli
from painrewire.programs.gmi.body import BodyShape, Pose, pose_body
from painrewire.programs.gmi.stimuli import Stimulus


def _view(stim: Stimulus) -> render.View:
    h = stim.appearance.shape.height
    neutral = pose_body(stim.appearance.shape, Pose(stim.movement, stim.side, 0.0, stim.appearance.arms))
    fit = [p for name, p in neutral.joints.items() if name != "facing"]
    return render.frame_view(stim.appearance.camera, h, fit)


def _moved_point(stim: Stimulus, degrees: float) -> np.ndarray:
    """The sternum for a rotation (it swings to the side the chest turns to), the head for a side-bend."""
    posed = pose_body(stim.appearance.shape, Pose(stim.movement, stim.side, degrees, stim.appearance.arms))
    if stim.movement == "rotation":
        return posed.joints["chest"] + posed.joints["facing"] * 0.07 * stim.appearance.shape.height
    return posed.joints["head"]


def _image_left(view: render.View, stim: Stimulus) -> np.ndarray:
    """Pixel vector from the person's right hip to their left hip (the hips never move)."""
    joints = stim.body().joints
    return np.subtract(view.project(joints["hip_left"]), view.project(joints["hip_right"]))


@pytest.mark.parametrize("movement", body.MOVEMENTS)
@pytest.mark.parametrize("side", body.SIDES)
def test_the_3d_model_moves_the_trunk_to_the_labelled_side(movement: body.Movement, side: body.Side) -> None:
    """x is the person's left: a left movement takes the sternum (turn) or the head (bend) towards +x."""
    shape = BodyShape()
    still = pose_body(shape, Pose(movement, side, 0.0))
    moved = pose_body(shape, Pose(movement, side, 30.0))
    sign = 1.0 if side == "left" else -1.0
    if movement == "rotation":
        assert sign * moved.joints["facing"][0] > 0.4  # the chest faces the labelled side
        # turning left brings the right shoulder forward and the left one back
        forward_shoulder = "right" if side == "left" else "left"
        other = "left" if side == "left" else "right"
        assert moved.joints[f"shoulder_{forward_shoulder}"][2] > moved.joints[f"shoulder_{other}"][2] + 0.05
    else:
        assert sign * (moved.joints["head"][0] - still.joints["head"][0]) > 0.2
        # bending left drops the left shoulder
        low, high = ("left", "right") if side == "left" else ("right", "left")
        assert moved.joints[f"shoulder_{low}"][1] < moved.joints[f"shoulder_{high}"][1] - 0.05
    # the legs and pelvis stay put
    np.testing.assert_allclose(moved.joints["hip_left"], still.joints["hip_left"], atol=1e-12)


@pytest.mark.parametrize("view", ["front", "back", "oblique", "above"])
def test_in_the_image_a_left_picture_moves_towards_the_persons_left(view: str) -> None:
    """Projected with each picture's own camera, the moving point shifts the way the person's left hip lies
    in the image: to the image's right from the front, to the image's left from behind (the mirror)."""
    checked = 0
    for stim in stimuli.catalogue().values():
        if stim.view != view:
            continue
        cam = _view(stim)
        left = _image_left(cam, stim)
        assert np.linalg.norm(left) > 5, "the hips must be apart in the image for this view"
        shift = np.subtract(
            cam.project(_moved_point(stim, stim.degrees)), cam.project(_moved_point(stim, 0.0))
        )
        toward_left = float(shift @ left) / float(np.linalg.norm(left))
        if stim.side == "left":
            assert toward_left > 0.5, (stim.id, stim.movement, toward_left)
        else:
            assert toward_left < -0.5, (stim.id, stim.movement, toward_left)
        if view == "front":
            assert left[0] > 0  # the person's left is on the image's right
        elif view == "back":
            assert left[0] < 0  # from behind, the person's left is on the image's left
        checked += 1
    assert checked == 60


def test_side_views_put_the_labelled_side_nearer_or_farther_as_the_geometry_says() -> None:
    """Side-on, left and right differ in depth: the moving point's depth change has the sign of the left
    hip's depth relative to the right hip's."""
    checked = 0
    for stim in stimuli.catalogue().values():
        if stim.view != "side":
            continue
        cam = _view(stim)
        joints = stim.body().joints
        left_depth = cam.depth(joints["hip_left"]) - cam.depth(joints["hip_right"])
        moved = cam.to_camera(_moved_point(stim, stim.degrees)) - cam.to_camera(_moved_point(stim, 0.0))
        left_cam = cam.to_camera(joints["hip_left"]) - cam.to_camera(joints["hip_right"])
        along = float(moved @ left_cam) / float(np.linalg.norm(left_cam))
        assert abs(left_depth) > 0.05
        assert (along > 0) == (stim.side == "left"), stim.id
        checked += 1
    assert checked == 60


def test_the_catalogue_has_at_least_200_distinct_pictures_balanced_left_and_right() -> None:
    catalogue = stimuli.catalogue()
    assert len(catalogue) >= 200
    sides = Counter(s.side for s in catalogue.values())
    assert sides["left"] == sides["right"]
    cells = Counter((s.movement, s.side) for s in catalogue.values())
    assert len(set(cells.values())) == 1
    assert {s.view for s in catalogue.values()} >= {"front", "back", "side", "above"}
    digests = {hashlib.sha256(stimuli.render(s).encode()).hexdigest() for s in catalogue.values()}
    assert len(digests) == len(catalogue)


def test_pictures_vary_in_body_clothes_skin_background_and_angle() -> None:
    found = list(stimuli.catalogue().values())
    assert len({s.appearance.palette.skin for s in found}) >= 5
    assert len({s.appearance.palette.shirt for s in found}) >= 6
    assert len({s.appearance.palette.background for s in found}) == 3
    assert len({round(s.appearance.shape.girth, 1) for s in found}) >= 4
    assert min(s.degrees for s in found) <= 10 and max(s.degrees for s in found) >= 50


def test_left_and_right_twins_differ_only_in_side() -> None:
    """A left picture's twin is the same person, clothes, camera and background, moving the other way."""
    by_key = {(s.movement, s.view, s.angle_class, s.variant, s.side): s for s in stimuli.catalogue().values()}
    for (movement, view, angle, variant, side), stim in by_key.items():
        if side == "left":
            twin = by_key[(movement, view, angle, variant, "right")]
            assert twin.appearance == stim.appearance
            assert twin.degrees == stim.degrees
            assert stimuli.svg(twin.id) != stimuli.svg(stim.id)


def test_a_picture_says_nothing_of_its_side() -> None:
    for stim in list(stimuli.catalogue().values())[:40]:
        text = stimuli.svg(stim.id)
        assert "left" not in text.lower() and "right" not in text.lower()
        assert "<script" not in text
        assert stim.side not in stim.id


def test_a_block_is_balanced_by_side_and_movement_and_starts_with_practice() -> None:
    plan = stimuli.build_plan(
        views=("front", "back"), angle_classes=("medium", "large"), trials=40, practice=4, seed=1
    )
    assert [t.is_practice for t in plan] == [True] * 4 + [False] * 40
    scored = [t for t in plan if not t.is_practice]
    assert Counter((t.movement, t.side) for t in scored) == {
        ("rotation", "left"): 10,
        ("rotation", "right"): 10,
        ("side_bend", "left"): 10,
        ("side_bend", "right"): 10,
    }
    assert {t.view for t in scored} == {"front", "back"}
    assert {t.angle_class for t in scored} <= {"medium", "large"}
    assert len({t.stimulus_id for t in scored}) == 40
    assert not {t.stimulus_id for t in plan if t.is_practice} & {t.stimulus_id for t in scored}
    run, longest, previous = 0, 0, None
    for t in scored:
        run = run + 1 if t.side == previous else 1
        previous, longest = t.side, max(longest, run)
    assert longest <= stimuli.MAX_SAME_SIDE_RUN


def test_a_block_is_in_random_order_and_reproducible_from_its_seed() -> None:
    def order(seed: int) -> list[str]:
        plan = stimuli.build_plan(
            views=("front", "back"), angle_classes=("medium",), trials=20, practice=0, seed=seed
        )
        return [t.stimulus_id for t in plan]

    assert order(3) == order(3)
    orders = {tuple(order(seed)) for seed in range(10)}
    assert len(orders) == 10
    sides = [[stimuli.stimulus(sid).side for sid in order(seed)] for seed in range(10)]
    assert len({tuple(s) for s in sides}) > 5  # the sequence of sides is not fixed either


def test_a_block_must_have_a_multiple_of_four_trials() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        stimuli.build_plan(views=("front",), angle_classes=("medium",), trials=10, practice=0, seed=0)
    with pytest.raises(ValueError, match="no pictures"):
        stimuli.build_plan(views=("nowhere",), angle_classes=("medium",), trials=8, practice=0, seed=0)
