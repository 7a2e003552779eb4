"""Camera thumbnails with two people: each person's cameras show the scene, also after switching
back and forth (they were blank with two people)."""

from __future__ import annotations

import numpy as np
import pytest

from gui_support import SAMPLE, SOFA_SEAT, gui_settings, message_boxes, sample_scene, save_artifact, window  # noqa: F401

pytestmark = pytest.mark.gui


def _thumbnail_contrast(window) -> list[float | None]:
    from PySide6 import QtGui

    out = []
    for i in range(window.camera_panel.list.count()):
        icon = window.camera_panel.list.item(i).icon()
        if icon.isNull():
            out.append(None)
            continue
        img = icon.pixmap(64, 64).toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        out.append(float(np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).std()))
    return out


def _cameras(azimuths, height):
    from pipeline.views.geometry import camera_from_view

    seat = np.asarray(SOFA_SEAT)
    return [camera_from_view(seat + [2 * np.cos(a), 2 * np.sin(a), height], seat, (0, 0, 1), 60, 128, 128,
                             name=f"view_{k:02d}") for k, a in enumerate(azimuths)]


def _show(window, qtbot, cameras):
    with qtbot.waitSignal(window.thumbnailsReady, timeout=60_000):
        window.design.cameras = cameras
        window.design_changed("cameras")


def test_each_persons_thumbnails_show_the_scene(window, qtbot, sample_scene):
    from pipeline.scene.targets import Target

    window.set_scene(sample_scene, SAMPLE)
    window.set_target(Target(tuple(SOFA_SEAT)))
    _show(window, qtbot, _cameras([-1.2, -1.9], 1.0))
    first = _thumbnail_contrast(window)
    results = window.generation.results
    results.add_person()
    window.set_target(Target(tuple(np.asarray(SOFA_SEAT) + [0.5, 0, 0])))
    _show(window, qtbot, _cameras([-1.0, -2.2], 1.2))
    second = _thumbnail_contrast(window)
    save_artifact(window.grab_window_image(), "gui_two_people_thumbnails.png")
    results.activate_person(0)
    qtbot.waitUntil(lambda: None not in _thumbnail_contrast(window) and window.camera_panel.list.count() == 2,
                    timeout=30_000)
    again = _thumbnail_contrast(window)
    for shown in (first, second, again):
        assert len(shown) == 2 and all(s is not None and s > 10 for s in shown), shown  # not blank
    assert again == pytest.approx(first, abs=1.0)
