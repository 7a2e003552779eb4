"""GenZI view selection on the sample scene and on small synthetic scenes."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.scene.source import as_scene
from pipeline.views.selection import (
    NoViewsError,
    TargetNotOnSurfaceError,
    ViewSelectionSettings,
    fibonacci_directions,
    patch_visibility,
    prompt_implies_standing,
    select_views,
)

sys.path.insert(0, str(Path(__file__).parent))

from views_helpers import SAMPLE_SCENE, box, cupboard_scene, scene_of, sofa_seat_point  # noqa: E402


@pytest.fixture(scope="module")
def room():
    return as_scene(SAMPLE_SCENE)


def _elevation_deg(eye, point):
    d = eye - point
    return math.degrees(math.asin(d[2] / np.linalg.norm(d)))


def test_fibonacci_directions_are_even_and_give_the_paper_band():
    d = fibonacci_directions(256)
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0)
    assert abs(d.mean(axis=0)).max() < 0.01  # spread evenly
    elevation = np.degrees(np.arcsin(d[:, 2]))
    assert 60 <= ((elevation > 0) & (elevation < 30)).sum() <= 68  # "about 63-64 of the 256 survive"


def test_sofa_views_follow_the_paper(room):
    seat = sofa_seat_point(room)
    assert 0.45 < seat[2] < 0.65
    sel = select_views(room, seat)
    assert sel.framing == "target"
    assert sel.relaxed == []
    assert len(sel.cameras) >= 8
    assert len(sel.cameras) <= 16
    assert [c.name for c in sel.cameras] == [f"view_{k:02d}" for k in range(len(sel.cameras))]
    assert sel.normal[2] > 0.9  # a seat faces up
    assert all(v > 0.4 for v in sel.visibility)
    assert sel.visibility == sorted(sel.visibility, reverse=True)
    for cam in sel.cameras:
        uv, depth = cam.project(seat[None])
        assert np.abs(uv[0] - [256.0, 256.0]).max() < 2.0
        assert depth[0] > 0
        assert np.linalg.norm(cam.position - seat) == pytest.approx(2.0, abs=1e-6)
        assert 0.0 <= _elevation_deg(cam.position, seat) <= 30.0
        assert np.allclose(cam.look_at, seat)
        assert (cam.width, cam.height, cam.fov_y_deg) == (512, 512, 60.0)
    assert sel.patch.face_count > 20
    assert 0.04 < sel.patch.area < 0.15  # about pi * 0.15^2 of seat


def test_floor_target_frames_a_standing_person(room):
    target = np.array([0.8, 0.0, 0.0])
    sel = select_views(room, target)
    assert sel.framing == "standing"
    assert len(sel.cameras) >= 8
    w, h = 0.45, 1.9
    corners = np.array([[target[0] + sx * w, target[1] + sy * w, sz * h]
                        for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)])
    for cam in sel.cameras:
        uv, depth = cam.project(np.vstack([corners, target[None]]))
        assert (depth > 0).all()
        assert (uv >= 0).all() and (uv <= 512).all(), f"{cam.name}: person box leaves the image: {uv}"
        assert cam.look_at[2] > 0.5  # aimed above the floor target
        assert np.linalg.norm(cam.position - cam.look_at) >= 2.0 - 1e-9


def test_paper_framing_cuts_off_a_standing_person(room):
    """The reason for standing framing: aiming at a floor point from 2 m loses the head."""
    target = np.array([0.8, 0.0, 0.0])
    sel = select_views(room, target, framing="target")
    head = target + [0.0, 0.0, 1.9]
    uv, _ = sel.cameras[0].project(head[None])
    assert uv[0, 1] < 0  # above the top of the image


def test_prompt_decides_standing_framing_on_a_seat(room):
    seat = sofa_seat_point(room)
    assert prompt_implies_standing("a person standing next to the sofa")
    assert not prompt_implies_standing("a person sitting on the sofa, reading")
    sel = select_views(room, seat, prompt="standing in front of the sofa")
    assert sel.framing == "standing"
    sel2 = select_views(room, seat, prompt="sitting on the sofa")
    assert sel2.framing == "target"


def test_a_wall_rejects_the_views_behind_it():
    floor = box([-5, -5, -0.02], [5, 5, 0])
    seat = box([-0.5, -0.5, 0], [0.5, 0.5, 0.45])
    wall = box([0.8, -5, 0], [0.9, 5, 3])
    settings = ViewSelectionSettings(max_views=64)
    open_sel = select_views(scene_of(floor, seat), [0, 0, 0.45], settings=settings)
    walled_scene = scene_of(floor, seat, wall)
    walled = select_views(walled_scene, [0, 0, 0.45], settings=settings)
    behind_open = [c for c in open_sel.cameras if c.position[0] > 0.9]
    assert len(behind_open) >= 10  # without the wall these views pass
    assert all(c.position[0] < 0.8 for c in walled.cameras)  # with it they are all gone
    assert len(walled.cameras) == len(open_sel.cameras) - len(behind_open)
    # and the visibility itself drops to zero for exactly those cameras
    ratios = patch_visibility(walled_scene, walled.patch, behind_open)
    assert np.all(ratios == 0.0)


def test_cupboard_target_needs_relaxation_and_says_so():
    sel = select_views(cupboard_scene(lip=0.2), [0.0, 0.0, 0.80])
    assert sel.relaxed, "the paper's rules should fail inside the cupboard"
    assert any("elevation" in r or "distance" in r or "visibility" in r for r in sel.relaxed)
    assert len(sel.cameras) >= 1
    assert any("relaxed" in w for w in sel.warnings)
    for cam in sel.cameras:  # every view looks in through the open front
        assert cam.position[0] > 0.25


def test_closed_cupboard_gives_a_clear_error():
    with pytest.raises(NoViewsError) as err:
        select_views(cupboard_scene(closed=True), [0.0, 0.0, 0.80])
    message = str(err.value)
    assert "Move the target onto an open surface" in message
    assert "visibility threshold" in message  # it tried relaxing before giving up


def test_target_in_empty_air_is_reported_not_crashed(room):
    with pytest.raises(TargetNotOnSurfaceError) as err:
        select_views(room, [0.0, 0.0, 1.6])
    assert "not on a surface" in str(err.value)
    assert err.value.nearest is not None and err.value.distance > 0.1


def test_target_slightly_above_a_surface_is_snapped_onto_it():
    scene = scene_of(box([-5, -5, -0.02], [5, 5, 0]), box([-0.5, -0.5, 0], [0.5, 0.5, 0.45]))
    sel = select_views(scene, [0.1, 0.0, 0.50])
    assert np.allclose(sel.target, [0.1, 0.0, 0.45], atol=1e-6)
    assert any("moved" in w for w in sel.warnings)


def test_ray_sample_visibility_agrees_with_pixel_rasterisation(room):
    """The fast default (rays to points on patch faces) against the paper's face-id raster."""
    settings = ViewSelectionSettings(min_visibility=-1.0, max_views=256)
    sel = select_views(room, sofa_seat_point(room), settings=settings)
    fast = patch_visibility(room, sel.patch, sel.cameras, method="samples")
    exact = patch_visibility(room, sel.patch, sel.cameras, method="pixels")
    assert len(fast) >= 60
    assert np.median(np.abs(fast - exact)) < 0.02
    assert ((fast > 0.4) == (exact > 0.4)).mean() >= 0.85


def test_given_normal_restricts_directions():
    floor = box([-5, -5, -0.02], [5, 5, 0])
    seat = box([-0.5, -0.5, 0], [0.5, 0.5, 0.45])
    settings = ViewSelectionSettings(max_views=64, max_normal_angle_deg=90.0)
    sel = select_views(scene_of(floor, seat), [0, 0, 0.45], normal=[1.0, 0.0, 0.0], settings=settings)
    assert all(c.position[0] > 0 for c in sel.cameras)


def test_bad_arguments_give_clear_errors(room):
    with pytest.raises(ValueError, match="three finite numbers"):
        select_views(room, [0.0, 1.0])
    with pytest.raises(ValueError, match="non-zero"):
        select_views(room, sofa_seat_point(room), normal=[0, 0, 0])
    with pytest.raises(ValueError, match="framing"):
        select_views(room, sofa_seat_point(room), framing="sideways")


def test_inverted_triangles_at_the_target_are_handled():
    """A seat whose triangles face inwards (common in exported meshes) still gets views."""
    seat = box([-0.5, -0.5, 0], [0.5, 0.5, 0.45])
    seat.invert()
    floor = box([-5, -5, -0.02], [5, 5, 0])
    sel = select_views(scene_of(floor, seat), [0.1, 0.0, 0.45])
    assert sel.normal[2] > 0.99
    assert len(sel.cameras) >= 8
    assert any("other side" in w for w in sel.warnings)
    normal_sel = select_views(scene_of(floor, box([-0.5, -0.5, 0], [0.5, 0.5, 0.45])), [0.1, 0.0, 0.45])
    assert not any("other side" in w for w in normal_sel.warnings)
