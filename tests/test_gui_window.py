"""The main window on the sample scene: loading, picking by ray, undo, screenshots."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gui_support import (  # noqa: F401 - fixtures
    SAMPLE, SOFA_SEAT, click_display_pixel, display_pixel_of, gui_settings, message_boxes,
    qimage_to_rgb, sample_scene, save_artifact, window,
)
from pipeline.scene.picking import pick_surface
from pipeline.views.geometry import display_pixel_ray

pytestmark = pytest.mark.gui


def _show(window, scene):
    window.set_scene(scene, SAMPLE)
    window.viewport.view_preset("iso")


def test_open_sample_scene_in_worker(window, qtbot):
    with qtbot.waitSignal(window.sceneLoaded, timeout=180_000) as blocker:
        window.open_scene(SAMPLE)
        assert window.is_busy()  # loading runs in the background
        assert window.progress_bar.isVisible()
    scene = blocker.args[0]
    assert window.scene is scene
    lo, hi = np.asarray(scene.bounds)
    assert hi[2] - lo[2] == pytest.approx(3.2, abs=0.1)  # Z-up metres
    assert "35,447 triangles" in window.scene_label.text()
    assert "6.05 × 6.19 × 3.22 m" in window.scene_label.text()
    assert not window.progress_bar.isVisible()
    assert str(SAMPLE.resolve()) in window.settings.recent_files()
    assert window.settings.last_folder() == str(SAMPLE.resolve().parent)


def test_click_on_sofa_seat_picks_by_ray_and_undo(window, qtbot, sample_scene):
    _show(window, sample_scene)
    # first target: somewhere on the floor in the middle of the room
    fx, fy = display_pixel_of(window, [0.5, 0.0, 0.0])
    click_display_pixel(qtbot, window, fx, fy)
    first = window.design.target
    assert first is not None and abs(first.point[2]) < 0.05 and first.normal[2] > 0.9

    x, y = display_pixel_of(window, SOFA_SEAT)
    ray = display_pixel_ray(window.viewport.current_camera(), x, y)
    expected_point, expected_normal = pick_surface(sample_scene, *ray, front_faces_only=True)
    click_display_pixel(qtbot, window, x, y)
    target = window.design.target
    assert target is not None and target is not first
    assert np.linalg.norm(target.point_array - expected_point) < 0.01
    assert np.linalg.norm(target.point_array - SOFA_SEAT) < 0.03  # the pixel really is the seat
    assert target.normal[2] > 0.8  # a seat faces up
    # the panel shows the numbers and the marker is drawn
    assert window.target_panel.point.value() == pytest.approx(tuple(target.point), abs=1e-3)
    assert "target-marker" in window.viewport.plotter.actors
    assert "target-normal" in window.viewport.plotter.actors

    window.act_undo.trigger()
    assert window.design.target == first
    assert window.target_panel.point.value() == pytest.approx(tuple(first.point), abs=1e-3)
    window.act_redo.trigger()
    assert window.design.target == target


def test_click_on_sky_says_so_and_keeps_target(window, qtbot, sample_scene):
    _show(window, sample_scene)
    w, h = window.viewport.render_size()
    click_display_pixel(qtbot, window, 5, h - 5)  # top-left corner: background above the room
    assert window.design.target is None
    assert "sky" in window.statusBar().currentMessage()


def test_shift_drag_moves_target_in_one_undo_step(window, qtbot, sample_scene):
    _show(window, sample_scene)
    start = display_pixel_of(window, [0.5, 0.0, 0.0])
    click_display_pixel(qtbot, window, *start)
    placed = window.design.target
    steps_before = window.undo_stack.count()
    widget = window.viewport.plotter
    shift = QtCore.Qt.KeyboardModifier.ShiftModifier
    path = [display_pixel_of(window, [0.5 - 0.3 * k, 0.2 * k, 0.0]) for k in range(5)]
    QTest.mousePress(widget, QtCore.Qt.MouseButton.LeftButton, shift, window.viewport.widget_from_display(*path[0]))
    for px in path[1:]:
        QTest.mouseMove(widget, window.viewport.widget_from_display(*px))
    QTest.mouseRelease(widget, QtCore.Qt.MouseButton.LeftButton, shift, window.viewport.widget_from_display(*path[-1]))
    moved = window.design.target
    assert np.linalg.norm(moved.point_array - np.array([0.5 - 1.2, 0.8, 0.0])) < 0.05
    assert window.undo_stack.count() == steps_before + 1  # the whole drag is one step
    window.act_undo.trigger()
    assert window.design.target == placed


def test_target_panel_edits_and_region_radius_undo(window, qtbot, sample_scene):
    _show(window, sample_scene)
    click_display_pixel(qtbot, window, *display_pixel_of(window, SOFA_SEAT))
    placed = window.design.target
    panel = window.target_panel
    panel.radius.setValue(0.3)
    assert window.design.target.radius == pytest.approx(0.3)
    assert "target-region" in window.viewport.plotter.actors
    panel.point.boxes[0].setValue(0.25)
    assert window.design.target.point[0] == pytest.approx(0.25)
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert window.design.target == placed
    assert "target-region" not in window.viewport.plotter.actors


def test_window_screenshot_shows_the_room(window, qtbot, sample_scene):
    _show(window, sample_scene)
    click_display_pixel(qtbot, window, *display_pixel_of(window, SOFA_SEAT))
    qtbot.wait(200)
    image = window.grab_window_image()
    path = save_artifact(image, "gui_window_sample_scene.png")
    rgb = qimage_to_rgb(image)
    # the viewport part of the window (left of the docks)
    view = window.viewport
    top_left = view.mapTo(window, QtCore.QPoint(0, 0))
    part = rgb[top_left.y(): top_left.y() + view.height(), top_left.x(): top_left.x() + view.width()]
    assert part.size > 0, path
    assert part.mean() > 40, "viewport is black"
    assert part.reshape(-1, 3).std(axis=0).mean() > 20, "viewport is blank"
    # the wooden floor (orange-brown) covers a good part of the view
    r, g, b = (part[..., i].astype(int) for i in range(3))
    floorish = (r > g + 25) & (g > b) & (r > 80)
    assert floorish.mean() > 0.05, "the floor is not visible"
    # the red target marker is there
    marker = (r > 180) & (g < 110) & (b < 90)
    assert marker.sum() > 5


@pytest.mark.parametrize("preset, axis", [("top", [0, 0, -1]), ("front", [0, 1, 0]), ("side", [-1, 0, 0])])
def test_view_presets_look_along_the_axes(window, sample_scene, preset, axis):
    _show(window, sample_scene)
    window.act_view[preset].trigger()
    forward = window.viewport.current_camera().forward
    assert abs(np.dot(forward, axis)) > 0.999
    # the whole room stays in view: its corners project inside the image
    cam = window.viewport.current_camera()
    lo, hi = np.asarray(sample_scene.bounds)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    uv, depth = cam.project(corners)
    assert np.all(depth > 0)
    assert np.all((uv >= -1) & (uv <= [cam.width + 1, cam.height + 1]))


def test_vtk_letter_keys_are_ignored_but_shortcuts_work(window, qtbot, sample_scene):
    _show(window, sample_scene)
    plotter = window.viewport.plotter
    with qtbot.waitActive(window):  # shortcuts need the active window
        window.activateWindow()
    plotter.setFocus()
    before = window.viewport.current_camera().position
    for key in "wj3f":  # VTK: wireframe, joystick style, stereo, fly-to
        QTest.keyClick(plotter, key)
    actor = window.viewport._scene_actors[0]
    assert actor.prop.representation.name == "SURFACE"
    assert np.allclose(window.viewport.current_camera().position, before)
    QTest.keyClick(plotter, QtCore.Qt.Key.Key_1, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.viewport.current_camera().forward[2] < -0.999  # Ctrl+1: top view


def test_closed_viewport_keeps_no_wrapper_of_a_qt_surface(window, qtbot):
    """A closed plotter must not hold Python wrappers of the GL surface Qt deletes with the widget:
    a later Qt object at the same address would come back as that stale wrapper (seen in CI as
    ``QOffscreenSurface has no attribute addAction`` on a new QMenu)."""
    import gc

    from PySide6 import QtGui

    qtbot.wait(50)  # let initializeGL run
    plotter = window.viewport.plotter
    window.shutdown()
    held = [v for v in vars(plotter).values() if isinstance(v, (QtGui.QSurface, QtGui.QOpenGLContext))]
    assert held == []


def test_antialiasing_follows_the_gl_and_the_remembered_choice(window, qtbot, gui_settings, sample_scene):
    """Software OpenGL (llvmpipe under Xvfb here) starts without multisampling, which would make
    every frame 2-3x slower; the View menu turns it on, and the choice is remembered."""
    from genzi_desktop.viewport.gl_info import is_software_renderer, opengl_renderer

    _show(window, sample_scene)
    renderer = opengl_renderer()
    assert renderer, "no OpenGL context could be made"
    software = is_software_renderer(renderer)
    assert window.viewport.antialiasing() is (not software)
    assert window.act_antialiasing.isChecked() is (not software)
    window.act_antialiasing.trigger()
    assert window.viewport.antialiasing() is software
    assert gui_settings.antialiasing(default=not software) is software
    floor = window.viewport.grab_rgb().astype(int)  # still renders the room after the switch
    assert ((floor[..., 0] > floor[..., 1] + 25) & (floor[..., 0] > 80)).mean() > 0.05


def test_software_renderer_names():
    from genzi_desktop.viewport.gl_info import is_software_renderer

    assert is_software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)")
    assert is_software_renderer("Microsoft Basic Render Driver")
    assert not is_software_renderer("NVIDIA GeForce RTX 4090/PCIe/SSE2")
    assert not is_software_renderer("AMD Radeon Pro W6800 (radeonsi, navi21, LLVM 15.0.7)")


def test_live_body_updates_move_the_same_actor(window, qtbot):
    """Live fitting passes the faces with every step; the viewport must move the points of the
    body it shows (rebuilding the actor cost ~50 ms per update) and keep its normals right."""
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.3)
    v, f = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    vp = window.viewport
    vp.set_body("live", v, f)
    actor = vp.plotter.actors["body-live"]
    vp.set_body("live", v + [0.5, 0.0, 0.0], f.copy())
    assert vp.plotter.actors["body-live"] is actor
    mesh = vp._bodies["live"][0]
    np.testing.assert_allclose(mesh.points, v + [0.5, 0.0, 0.0], atol=1e-6)
    normals = np.asarray(mesh.point_data["Normals"])
    np.testing.assert_allclose(np.einsum("ij,ij->i", normals, v / 0.3), 1.0, atol=0.02)  # outward
    other = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    vp.set_body("live", np.asarray(other.vertices), np.asarray(other.faces))  # another mesh: a new actor
    assert vp.plotter.actors["body-live"] is not actor


def test_slow_live_renders_are_spaced_out(window, monkeypatch):
    """With software OpenGL a live body update blocks the window for 50-100 ms; the controller
    must space them out by their cost (and still show the last step), or the window stutters."""
    import trimesh

    from genzi_desktop.controllers.run_feed import LIVE_RENDER_SHARE

    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    v, f = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    shown = []

    def slow_set_body(key, vertices, faces=None, **_kw):
        time.sleep(0.02)  # a 20 ms render: the next one may come 0.02 / share = 0.5 s later
        shown.append(key)

    monkeypatch.setattr(window.viewport, "set_body", slow_set_body)
    c = window.generation
    c.feed.show_live_body = True
    c.feed._next_live_render = 0.0
    start = time.perf_counter()
    for i in range(40):  # step events every 5 ms, as a fast fit sends them
        c.feed.on_lifting_step("set0", i, 40, v + 0.001 * i, f if i == 0 else None, None, None, 1)
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.02 / LIVE_RENDER_SHARE  # all within one spacing: only the first and the last render
    assert shown == ["live", "live"]


def test_actions_and_menus_are_found_by_object(window):
    """Every action is named after its attribute and every menu is kept by name, so code and
    tests find them without reading their (translatable) text."""
    from PySide6 import QtGui

    owners = [window, window.generation, window.generation.projects, window.exporter]
    actions = {name: a for o in owners for name, a in vars(o).items() if name.startswith("act_")
               and isinstance(a, QtGui.QAction)}
    assert len(actions) > 25
    for name, action in actions.items():
        assert action.objectName() == name
        assert window.findChild(QtGui.QAction, name) is action
    file_actions = window.menus["file"].actions()
    assert window.generation.projects.act_save_project in file_actions
    assert window.exporter.act_export_bodies in file_actions
    assert window.generation.act_import_images in window.menus["generate"].actions()
    assert window.menus["cameras"].objectName() == "menu-cameras"
