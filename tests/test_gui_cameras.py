"""Cameras in the window: automatic selection drawn as frustums, thumbnails, editing with undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from gui_support import (  # noqa: F401 - fixtures
    SAMPLE, SOFA_SEAT, click_display_pixel, display_pixel_of, gui_settings, message_boxes, qimage_to_rgb,
    sample_scene, save_artifact, window,
)
from pipeline.scene.targets import Target

pytestmark = pytest.mark.gui


def _sofa_target(window, scene):
    window.set_scene(scene, SAMPLE)
    window.set_target(Target(SOFA_SEAT, (0.0, 0.0, 1.0)))


def test_select_views_draws_frustums_with_thumbnails(window, qtbot, sample_scene):
    _sofa_target(window, sample_scene)
    assert window.act_select_views.isEnabled()
    with qtbot.waitSignal(window.viewsSelected, timeout=180_000) as blocker:
        window.act_select_views.trigger()
    n = blocker.args[0]
    cams = window.design.cameras
    assert n == len(cams) >= 8
    # every camera looks at the target from about 2 m
    for cam in cams:
        assert np.linalg.norm(cam.position - SOFA_SEAT) == pytest.approx(2.0, abs=0.05)
        uv, depth = cam.project(SOFA_SEAT[None])
        assert depth[0] > 0 and np.allclose(uv[0], [cam.width / 2, cam.height / 2], atol=2.0)
    actors = window.viewport.plotter.actors
    assert "camera-frustums" in actors
    assert any(k.startswith("camera-labels") for k in actors)
    selected = window.camera_panel.current_index()
    drawn = actors["camera-frustums"].mapper.dataset.n_points + (
        actors["camera-selected"].mapper.dataset.n_points if "camera-selected" in actors else 0)
    assert drawn == 5 * len(cams)
    assert window.camera_panel.list.count() == len(cams)
    assert window.act_select_views.text().replace("&", "") == "Select views again"
    # thumbnails arrive from the off-screen renderer
    qtbot.waitUntil(lambda: not any(window.camera_panel.needs_thumbnail(i) for i in range(len(cams))),
                    timeout=180_000)
    icon = window.camera_panel.list.item(0).icon()
    thumb = qimage_to_rgb(icon.pixmap(96, 96).toImage())
    assert thumb.std() > 10  # a picture, not a flat colour
    # Ctrl+click on a drawn frustum selects that camera
    window.viewport.view_preset("iso")
    middle = cams[5].position + cams[5].forward * (0.5 * window.viewport.frustum_depth)
    x, y = display_pixel_of(window, middle)
    click_display_pixel(qtbot, window, x, y, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.camera_panel.current_index() == 5
    assert "camera-selected" in window.viewport.plotter.actors
    window.camera_panel.list.setCurrentRow(3)
    window.target_panel.radius.setValue(0.15)  # show the region disc too
    window.viewport.view_preset("iso")
    save_artifact(window.grab_window_image(), "gui_cameras_selected.png")
    # double-click looks through a camera: the target sits in the middle of the viewport
    item = window.camera_panel.list.item(3)
    window.camera_panel.list.itemDoubleClicked.emit(item)
    view = window.viewport.current_camera()
    uv, _ = view.project(SOFA_SEAT[None])
    assert np.allclose(uv[0], [view.width / 2, view.height / 2], atol=2.0)
    assert view.fov_y_deg == pytest.approx(cams[3].fov_y_deg)
    save_artifact(window.grab_window_image(), "gui_look_through_view_03.png")
    shown = window.viewport.plotter.actors["camera-frustums"].mapper.dataset.n_points
    assert shown == 5 * (len(cams) - 1)  # the camera looked through hides its own frustum
    window.act_undo.trigger()  # the radius
    assert window.design.target.radius == 0
    # undo removes the whole selection in one step
    window.act_undo.trigger()
    assert window.design.cameras == []
    assert "camera-frustums" not in window.viewport.plotter.actors
    assert selected >= -1


def test_camera_edit_add_delete_and_undo(window, qtbot, sample_scene):
    _sofa_target(window, sample_scene)
    window.viewport.view_preset("iso")
    window.act_add_camera.trigger()
    assert len(window.design.cameras) == 1
    added = window.design.cameras[0]
    view = window.viewport.current_camera()
    assert np.allclose(added.position, view.position, atol=1e-6)
    assert np.allclose(added.forward, view.forward, atol=1e-6)
    assert (added.width, added.height) == (512, 512)

    panel = window.camera_panel
    panel.list.setCurrentRow(0)
    editor = panel.editor
    assert editor.isEnabled()
    steps = window.undo_stack.count()
    fov0 = added.fov_y_deg
    editor.fov.setValue(45.0)
    editor.fov.setValue(40.0)  # same field, same editing session: one undo step
    assert window.design.cameras[0].fov_y_deg == pytest.approx(40.0)
    assert window.undo_stack.count() == steps + 1
    # aim it at the sofa by numbers
    editor.look_at.boxes[0].editingFinished.emit()
    editor.look_at.set_value(SOFA_SEAT)
    editor.look_at.boxes[2].setValue(SOFA_SEAT[2] + 0.001)
    cam = window.design.cameras[0]
    uv, _ = cam.project(SOFA_SEAT[None])
    assert np.allclose(uv[0], [256, 256], atol=1.0)
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert window.design.cameras[0].fov_y_deg == pytest.approx(fov0)
    assert np.allclose(window.design.cameras[0].world_to_camera, added.world_to_camera)

    window.look_through(0)
    assert np.allclose(window.viewport.current_camera().position, added.position, atol=1e-6)

    window.act_delete_camera.trigger()
    assert window.design.cameras == []
    window.act_undo.trigger()
    assert len(window.design.cameras) == 1


def test_select_views_without_target_is_disabled(window, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    assert not window.act_select_views.isEnabled()
    window.select_views()
    assert "target" in window.statusBar().currentMessage()


def test_set_camera_from_view_is_one_undo_step(window, sample_scene):
    _sofa_target(window, sample_scene)
    window.act_add_camera.trigger()
    window.camera_panel.list.setCurrentRow(0)
    before = window.design.cameras[0]
    window.viewport.view_preset("top")
    steps = window.undo_stack.count()
    window.act_camera_from_view.trigger()
    after = window.design.cameras[0]
    assert window.undo_stack.count() == steps + 1
    assert after.forward[2] < -0.99  # now looking straight down
    assert after.fov_y_deg == pytest.approx(before.fov_y_deg)
    window.act_undo.trigger()
    assert np.allclose(window.design.cameras[0].world_to_camera, before.world_to_camera)


def test_ctrl_drag_swings_camera_in_one_undo_step(window, qtbot, sample_scene):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    _sofa_target(window, sample_scene)
    window.viewport.view_preset("iso")
    window.act_add_camera.trigger()
    window.camera_panel.list.setCurrentRow(0)
    before = window.design.cameras[0]
    pivot = before.look_at
    steps = window.undo_stack.count()
    widget = window.viewport.plotter
    ctrl = QtCore.Qt.KeyboardModifier.ControlModifier
    start = QtCore.QPoint(200, 200)
    QTest.mousePress(widget, QtCore.Qt.MouseButton.LeftButton, ctrl, start)
    for k in range(1, 6):
        QTest.mouseMove(widget, start + QtCore.QPoint(20 * k, 0))
    QTest.mouseRelease(widget, QtCore.Qt.MouseButton.LeftButton, ctrl, start + QtCore.QPoint(100, 0))
    after = window.design.cameras[0]
    assert window.undo_stack.count() == steps + 1
    # swung 40 degrees about the vertical through the look-at point, same distance and height
    assert np.linalg.norm(after.position - pivot) == pytest.approx(np.linalg.norm(before.position - pivot))
    assert after.position[2] == pytest.approx(before.position[2], abs=1e-6)
    a, b = (before.position - pivot)[:2], (after.position - pivot)[:2]
    angle = np.degrees(np.arccos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)))
    assert angle == pytest.approx(40.0, abs=0.5)
    uv, _ = after.project(pivot[None])
    assert np.allclose(uv[0], [256, 256], atol=1e-6)
    window.act_undo.trigger()
    assert np.allclose(window.design.cameras[0].world_to_camera, before.world_to_camera)
