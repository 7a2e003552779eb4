"""Opening files in the window: import options, bad files keep the previous scene, settings."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import trimesh

from gui_support import SAMPLE, gui_settings, message_boxes, sample_scene, window  # noqa: F401

pytestmark = pytest.mark.gui


def _box_obj_mm_yup(path):
    """A 4000 x 2500 x 3000 mm room-sized box, Y-up (2500 mm tall), written as OBJ."""
    box = trimesh.creation.box(extents=(4000.0, 2500.0, 3000.0))
    box.apply_translation((0, 1250.0, 0))
    box.export(path)
    return path


def test_obj_asks_for_up_axis_and_unit_and_remembers(window, qtbot, tmp_path):
    path = _box_obj_mm_yup(tmp_path / "room_mm.obj")
    asked = []

    def provider(p, initial, why):
        asked.append((initial.up_axis, initial.unit, why))
        return initial  # accept the guess

    window.import_options_provider = provider
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(path)
    assert asked and asked[0][:2] == ("y", "mm")
    size = np.asarray(window.scene.size)
    assert size == pytest.approx([4.0, 3.0, 2.5], abs=0.01)  # metres, Z-up
    assert window.settings.import_options(path) == {"up_axis": "y", "unit": "mm"}
    # the second time the remembered choice is offered
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(path)
    assert "earlier choice" in asked[1][2]


def test_cancel_import_dialog_keeps_scene(window, tmp_path, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    path = _box_obj_mm_yup(tmp_path / "room.obj")
    window.settings.set_import_options(path, "y", "mm")
    window.import_options_provider = lambda p, initial, why: None
    window.open_scene(path)
    assert window.scene is sample_scene
    assert not window.is_busy()


@pytest.mark.parametrize("name, content", [
    ("corrupt.glb", b"glTF\x02\x00\x00\x00garbage that is not a scene" * 3),
    ("empty.glb", b""),
    ("notes.txt", b"hello"),
    ("missing.glb", None),
])
def test_bad_file_keeps_previous_scene_and_explains(window, qtbot, tmp_path, sample_scene, message_boxes,
                                                     name, content):
    window.set_scene(sample_scene, SAMPLE)
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with qtbot.waitSignal(window.sceneLoadFailed, timeout=120_000) as blocker:
        window.open_scene(path)
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=10_000)
    assert window.scene is sample_scene
    assert "35,447 triangles" in window.scene_label.text()
    assert message_boxes, "no dialog was shown"
    text = message_boxes[-1]
    assert name in text or "does not exist" in text
    assert "Traceback" not in text
    assert blocker.args[0]


def test_recent_files_capped_and_deduplicated(gui_settings, tmp_path):
    files = []
    for i in range(12):
        f = tmp_path / f"scene_{i}.glb"
        f.write_bytes(b"x")
        files.append(f)
        gui_settings.add_recent_file(f)
    gui_settings.add_recent_file(files[5])
    recent = gui_settings.recent_files()
    assert len(recent) == 10
    assert recent[0] == str(files[5].resolve())
    assert len(set(recent)) == 10
    files[11].unlink()
    assert str(files[11].resolve()) not in gui_settings.recent_files()
    # really written to the INI file in the redirected folder
    gui_settings.sync()
    assert gui_settings.qs.fileName().endswith(".ini")


def test_unexpected_error_shows_friendly_dialog(window, message_boxes, monkeypatch):
    from genzi_desktop.dialogs import errors
    monkeypatch.setattr(errors, "_installed", False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    errors.install_excepthook(lambda: window)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert message_boxes and "boom in a slot" in message_boxes[-1]
    assert "Traceback" not in message_boxes[-1]


def test_drop_a_scene_file_opens_it(window, qtbot, tmp_path):
    from PySide6 import QtCore, QtGui

    path = tmp_path / "dropped.stl"
    trimesh.creation.box(extents=(1.0, 2.0, 0.5)).export(path)
    window.import_options_provider = lambda p, initial, why: initial
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    enter = QtGui.QDragEnterEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                                  QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                            QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.dropEvent(drop)
    assert window.scene_path == path
    assert window.scene.triangle_count == 12
    # a text file is refused at the door
    other = QtCore.QMimeData()
    other.setUrls([QtCore.QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QtGui.QDragEnterEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, other,
                                  QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_cancel_loading_keeps_previous_scene(window, qtbot, sample_scene):
    window.set_scene(sample_scene, SAMPLE)
    window.open_scene(SAMPLE)
    assert window.is_busy() and window.act_cancel.isEnabled()
    window.act_cancel.trigger()  # at once: the load reports progress several times before it ends
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=120_000)
    qtbot.wait(100)
    assert window.scene is sample_scene  # a finished load would have made a new Scene
    assert "Cancelled" in window.statusBar().currentMessage()
    assert not window.progress_bar.isVisible()


def test_import_dialog_is_prefilled_and_returns_the_choice(qtbot, tmp_path):
    from genzi_desktop.dialogs.import_options import ImportOptionsDialog
    from genzi_desktop.model.scene_io import SceneImportOptions

    dialog = ImportOptionsDialog(tmp_path / "room.obj", SceneImportOptions(up_axis="y", unit="mm"),
                                 "Best guess: Up axis Y, millimetres.")
    qtbot.addWidget(dialog)
    assert dialog.options() == SceneImportOptions(up_axis="y", unit="mm")
    dialog.unit.setCurrentIndex(dialog.unit.findData("cm"))
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("z"))
    assert dialog.options() == SceneImportOptions(up_axis="z", unit="cm")


@pytest.mark.qt_no_exception_capture
def test_error_in_a_slot_reaches_the_friendly_dialog(window, qtbot, message_boxes, monkeypatch):
    from PySide6 import QtCore

    from genzi_desktop.dialogs import errors
    monkeypatch.setattr(errors, "_installed", False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    errors.install_excepthook(lambda: window)

    def broken():
        raise ValueError("a slot went wrong")

    QtCore.QTimer.singleShot(0, broken)
    qtbot.waitUntil(lambda: any("a slot went wrong" in m for m in message_boxes), timeout=5000)
    assert window.isVisible()  # still running
