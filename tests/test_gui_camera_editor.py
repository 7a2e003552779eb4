"""The camera editor shows a selected camera's numbers and nothing when none is selected."""

from __future__ import annotations

import pytest

from gui_support import gui_settings, message_boxes, window  # noqa: F401 - fixtures
from pipeline.views.cameras import Camera

pytestmark = pytest.mark.gui


def test_camera_editor_shows_a_camera_then_empties(window):
    editor = window.camera_panel.editor
    editor.set_camera(Camera.looking_at([1.0, 2.0, 1.5], [0.0, 0.0, 0.5], fov_y_deg=45.0))
    assert editor.fov.value() == pytest.approx(45.0)
    assert editor.fov.text().startswith("45")
    editor.set_camera(None)
    assert not editor.isEnabled()
    assert editor.fov.cleanText() == ""
    assert all(box.cleanText() == "" for box in editor.position.boxes + editor.look_at.boxes)
