"""Qt-free helpers behind the desktop: targets, undoable edits, pixel rays, frustums, picking."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pipeline.views.cameras import Camera
from genzi_desktop.model.edits import ChangeCamera, Design, SetCameras, SetTarget
from pipeline.scene.picking import pick_surface
from pipeline.scene.scene import Scene
from pipeline.scene.targets import Target
from pipeline.views.geometry import camera_from_view, display_pixel_ray, frustum_points, pixel_ray, viewer_pose


def _camera(width=640, height=480):
    return Camera.looking_at([3.0, -2.0, 1.5], [0.2, 0.1, 0.4], fov_y_deg=50.0, width=width, height=height)


def test_pixel_ray_passes_through_the_projected_point():
    cam = _camera()
    rng = np.random.default_rng(0)
    points = rng.uniform([-1, -1, 0], [1, 1, 1.5], size=(20, 3))
    uv, depth = cam.project(points)
    assert np.all(depth > 0)
    for p, (u, v) in zip(points, uv):
        origin, d = pixel_ray(cam, u, v)
        assert np.linalg.norm(d) == pytest.approx(1.0)
        off_ray = (p - origin) - np.dot(p - origin, d) * d
        assert np.linalg.norm(off_ray) < 1e-9


def test_display_pixel_ray_counts_rows_from_the_bottom():
    cam = _camera()
    o1, d1 = display_pixel_ray(cam, 10, 0)  # bottom row
    o2, d2 = pixel_ray(cam, 10.5, cam.height - 0.5)
    assert np.allclose(d1, d2)
    _, centre = display_pixel_ray(cam, cam.width // 2 - 1, cam.height // 2 - 1)
    assert np.dot(centre, cam.forward) > 0.9999


def test_camera_from_view_with_loose_up_vector():
    cam = camera_from_view([0, -5, 2], [0, 0, 1], [0, 0.3, 1], 30.0, 800, 600)
    assert np.allclose(cam.position, [0, -5, 2])
    uv, _ = cam.project(np.array([[0.0, 0.0, 1.0]]))
    assert np.allclose(uv[0], [400, 300], atol=1e-6)
    assert cam.up[2] > 0.9  # image up is world up-ish
    with pytest.raises(ValueError):
        camera_from_view([1, 1, 1], [1, 1, 1], [0, 0, 1], 30.0, 10, 10)


def test_frustum_corners_project_to_image_corners():
    cam = _camera()
    pts = frustum_points(cam, 0.5)
    assert np.allclose(pts[0], cam.position)
    uv, depth = cam.project(pts[1:])
    assert np.allclose(depth, 0.5)
    assert np.allclose(uv, [[0, 0], [640, 0], [640, 480], [0, 480]], atol=1e-6)


def test_viewer_pose_keeps_the_viewing_axis():
    cam = _camera()
    position, focal, up = viewer_pose(cam)
    direction = (focal - position) / np.linalg.norm(focal - position)
    assert np.allclose(direction, cam.forward)
    assert np.dot(focal - position, cam.forward) == pytest.approx(np.dot(cam.look_at - position, cam.forward))
    assert np.allclose(up, cam.up)


def test_target_validation_and_round_trip():
    t = Target((1, 2, 3), (0, 0, 2), 0.25)
    assert t.normal == (0.0, 0.0, 1.0)
    assert Target.from_dict(t.to_dict()) == t
    assert t.moved((0, 0, 0)).radius == 0.25 and t.with_radius(0).is_region is False
    for bad in [dict(point=(0, 0)), dict(point=(0, 0, np.nan)), dict(point=(0, 0, 0), normal=(0, 0, 0)),
                dict(point=(0, 0, 0), radius=-1)]:
        with pytest.raises(ValueError):
            Target(**bad)
    with pytest.raises(ValueError, match="point"):
        Target.from_dict({"normal": [0, 0, 1]})


def test_target_edits_merge_only_within_one_drag():
    d = Design()
    a, b, c = Target((0, 0, 0)), Target((1, 0, 0)), Target((2, 0, 0))
    first = SetTarget(None, a, merge_key=("drag", 1))
    first.redo(d)
    second = SetTarget(a, b, merge_key=("drag", 1))
    second.redo(d)
    assert first.merge(second)
    assert not first.merge(SetTarget(b, c, merge_key=("drag", 2)))
    assert not SetTarget(None, a).merge(SetTarget(a, b))
    first.undo(d)
    assert d.target is None
    first.redo(d)
    assert d.target == b


def test_camera_edits_copy_and_merge():
    cams = [_camera(), Camera.looking_at([0, 3, 1], [0, 0, 0])]
    d = Design(cameras=list(cams))
    moved = Camera.looking_at([1, 3, 1], [0, 0, 0])
    e1 = ChangeCamera(1, cams[1], moved, merge_key="k")
    e1.redo(d)
    further = Camera.looking_at([2, 3, 1], [0, 0, 0])
    e2 = ChangeCamera(1, moved, further, merge_key="k")
    e2.redo(d)
    assert e1.merge(e2) and not e1.merge(ChangeCamera(0, cams[0], further, merge_key="k"))
    e1.undo(d)
    assert np.allclose(d.cameras[1].world_to_camera, cams[1].world_to_camera)
    removal = SetCameras(d.cameras, d.cameras[:1], "Delete")
    removal.redo(d)
    d.cameras[0].world_to_camera[0, 3] = 99.0  # editing the live list must not change the history
    removal.undo(d)
    assert len(d.cameras) == 2 and d.cameras[0].world_to_camera[0, 3] != 99.0
    with pytest.raises(IndexError):
        ChangeCamera(5, cams[0], moved).redo(d)


def _room_with_cube():
    room = trimesh.creation.box(extents=(4.0, 4.0, 3.0))
    room.invert()  # normals point into the room, as artists model walls
    cube = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    return Scene([room, cube])


def test_pick_passes_through_walls_seen_from_behind():
    scene = _room_with_cube()
    origin, direction = np.array([-10.0, 1.5, 0.0]), np.array([1.0, 0.0, 0.0])  # misses the cube
    plain = pick_surface(scene, origin, direction)
    assert plain[0][0] == pytest.approx(-2.0)  # the near wall, seen from behind
    seen = pick_surface(scene, origin, direction, front_faces_only=True)
    assert seen[0][0] == pytest.approx(2.0)  # the far wall, seen from inside
    assert np.allclose(seen[1], [-1, 0, 0])
    hit_cube = pick_surface(scene, [-10.0, 0.0, 0.0], direction, front_faces_only=True)
    assert hit_cube[0][0] == pytest.approx(-0.5)
    assert pick_surface(scene, [-10.0, 0.0, 0.0], [-1.0, 0.0, 0.0], front_faces_only=True) is None
    with pytest.raises(ValueError):
        pick_surface(scene, origin, [0, 0, 0])


def test_orbit_camera_keeps_distance_aim_and_clamps_elevation():
    from pipeline.views.geometry import orbit_camera

    cam = Camera.looking_at([2.0, 0.0, 1.0], [0.0, 0.0, 1.0], fov_y_deg=45.0, width=320, height=240, name="c")
    turned = orbit_camera(cam, [0.0, 0.0, 1.0], 90.0, 0.0)
    assert np.allclose(turned.position, [0.0, 2.0, 1.0], atol=1e-9)
    assert (turned.width, turned.height, turned.fov_y_deg, turned.name) == (320, 240, 45.0, "c")
    raised = orbit_camera(cam, [0.0, 0.0, 1.0], 0.0, 200.0)
    assert np.degrees(np.arcsin((raised.position[2] - 1.0) / 2.0)) == pytest.approx(85.0)
    uv, _ = raised.project(np.array([[0.0, 0.0, 1.0]]))
    assert np.allclose(uv[0], [160, 120], atol=1e-6)
    with pytest.raises(ValueError):
        orbit_camera(cam, cam.position, 10.0, 0.0)


def test_camera_under_ray_finds_the_frustum_clicked():
    from pipeline.views.geometry import camera_under_ray

    cams = [Camera.looking_at([x, 3.0, 1.0], [x, 0.0, 1.0]) for x in (-1.0, 0.0, 1.0)]
    eye = np.array([0.0, 8.0, 4.0])
    for i, cam in enumerate(cams):
        target = cam.position + cam.forward * 0.2
        assert camera_under_ray(cams, eye, target - eye, depth=0.4) == i
    assert camera_under_ray(cams, eye, [0.0, 0.0, 1.0], depth=0.4) is None  # looking up: nothing
