"""Shared fixtures for the desktop GUI tests (import them into a test module with ``*``).

* ``gui_settings``: QSettings redirected into a temporary folder (INI), app names set.
* ``message_boxes``: QMessageBox never blocks; the texts shown are recorded in a list.
* ``window``: a MainWindow (scripted mode) that is shut down, its plotter closed, on teardown.
* ``sample_scene``: the bundled living room, loaded once per test module.

Every GUI test also gets ``$GENZI_DESKTOP_DATA`` in its temporary folder (tests/conftest.py).
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "scenes" / "living_room.glb"
ARTIFACTS = REPO / "test-artifacts"
#: Top of the middle sofa cushion in the sample scene (see resources/scenes/PROVENANCE.md).
SOFA_SEAT = np.array([0.0, -2.41, 0.566])


@pytest.fixture
def gui_settings(qapp, tmp_path):
    from PySide6 import QtCore

    from genzi_desktop.app import configure_application
    from genzi_desktop.settings import AppSettings

    configure_application(qapp)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    return AppSettings(QtCore.QSettings())


@pytest.fixture
def message_boxes(monkeypatch):
    from PySide6 import QtWidgets

    shown: list[str] = []

    def fake_exec(box):
        shown.append(box.text())
        return QtWidgets.QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QtWidgets.QMessageBox, "exec", fake_exec)
    return shown


@pytest.fixture(scope="module")
def sample_scene():
    from pipeline.scene.scene import load_scene

    return load_scene(SAMPLE)


@pytest.fixture
def window(qtbot, gui_settings, message_boxes):
    from genzi_desktop.window.main_window import MainWindow
    from genzi_desktop.workers.tasks import running_tasks

    import os

    assert os.environ.get("GENZI_DESKTOP_DATA"), "GUI tests keep app data in a temp folder (tests/conftest.py)"
    win = MainWindow(gui_settings, interactive=False)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()
    win.close()
    assert not running_tasks(), "a worker thread was left running"
    win.deleteLater()
    qtbot.wait(10)
    gc.collect()  # free wrappers of deleted Qt objects before the next test makes new ones


def save_artifact(image, name: str) -> Path:
    """Save a QImage under test-artifacts/ (look at these after a run)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert image.save(str(path)), f"could not write {path}"
    return path


def qimage_to_rgb(image) -> np.ndarray:
    from PySide6 import QtGui

    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * h)
    return data.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def click_display_pixel(qtbot, window, x: int, y: int, modifier=None) -> None:
    """A real left click on the viewport at VTK display pixel (x, y) (origin bottom-left)."""
    from PySide6 import QtCore

    pos = window.viewport.widget_from_display(x, y)
    mod = modifier if modifier is not None else QtCore.Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(window.viewport.plotter, QtCore.Qt.MouseButton.LeftButton, mod, pos)


def display_pixel_of(window, point) -> tuple[int, int]:
    """The VTK display pixel (bottom-left origin) where ``point`` appears in the viewport."""
    cam = window.viewport.current_camera()
    uv, depth = cam.project(np.asarray(point, float)[None])
    assert depth[0] > 0, "the point is behind the viewport camera"
    u, v = uv[0]
    return int(np.floor(u)), int(cam.height - 1 - np.floor(v))
