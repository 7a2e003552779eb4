"""The Outline dock in a real window (Xvfb): rows from the opened file, a row's check box hides
the element in the viewport and lets clicks through, selecting a row highlights the element,
and clicking an element in the viewport selects its row. Screenshots go to test-artifacts/."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from tests.arch_files import write_ifc
from tests.gui_support import *  # noqa: F401,F403 - fixtures
from tests.gui_support import SAMPLE, click_display_pixel, display_pixel_of, qimage_to_rgb, save_artifact

pytestmark = pytest.mark.gui


def _row(window, label_start: str) -> int:
    return next(n.node_id for n in window.outline.nodes if n.label.startswith(label_start))


def _orange_pixels(window) -> int:
    rgb = qimage_to_rgb(window.viewport.plotter.grabFramebuffer()).astype(float)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(np.count_nonzero((r > 120) & (g > 0.4 * r) & (g < 0.75 * r) & (b < 0.3 * r)))


def _look_along_minus_y(window) -> None:
    cam = window.viewport.plotter.camera
    cam.position, cam.focal_point, cam.up = (2.0, 20.0, 1.25), (2.0, 0.0, 1.25), (0.0, 0.0, 1.0)
    cam.view_angle = 30.0
    window.viewport.plotter.reset_camera_clipping_range()
    window.viewport.plotter.render()


def test_ifc_outline_rows_visibility_highlight_and_click_to_row(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.sceneLoaded, timeout=120_000):
        window.open_scene(write_ifc(tmp_path / "house.ifc", opening=True))
    panel = window.outline_panel
    tree = panel.tree
    assert tree.topLevelItemCount() == 1 and tree.topLevelItem(0).text(0) == "Level 1"
    storey = tree.topLevelItem(0)
    assert [storey.child(i).text(0) for i in range(storey.childCount())] == ["IfcWall", "IfcOpeningElement", "IfcSpace"]
    walls, space = storey.child(0), storey.child(2)
    assert walls.childCount() == 3 and walls.child(1).text(0).startswith("Wall 1 #")
    unchecked, partial = QtCore.Qt.CheckState.Unchecked, QtCore.Qt.CheckState.PartiallyChecked
    assert space.checkState(0) == unchecked and storey.checkState(0) == partial
    assert "2 hidden by default" in panel.summary.text()
    assert window.viewport.outline_layer.extras_shown == []
    window.viewport.view_preset("iso")
    save_artifact(window.grab().toImage(), "gui_outline_ifc.png")

    # a click on the nearest wall selects its row; the highlight is drawn over it
    _look_along_minus_y(window)
    before = _orange_pixels(window)
    x, y = display_pixel_of(window, [2.0, 6.2, 1.25])
    click_display_pixel(qtbot, window, x, y)
    assert window.design.target.point[1] == pytest.approx(6.2, abs=1e-3)
    assert panel.selected_node() == _row(window, "Wall 2 #")
    assert window.viewport.outline_layer.highlighted == (2,)
    assert _orange_pixels(window) > before + 1000

    # unchecking wall 2 hides it and the next click lands on wall 1 behind it
    panel.set_row_visible(_row(window, "Wall 2 #"), False)
    assert not window.viewport.outline_layer.part_visible(2) and window.viewport.outline_layer.part_visible(1)
    assert walls.checkState(0) == partial
    click_display_pixel(qtbot, window, x, y)
    assert window.design.target.point[1] == pytest.approx(3.2, abs=1e-3)
    assert panel.selected_node() == _row(window, "Wall 1 #")

    # showing the spaces draws them (see-through) without making them a surface to click on
    panel.set_row_visible(_row(window, "IfcSpace"), True)
    assert window.viewport.outline_layer.extras_shown == [1]
    click_display_pixel(qtbot, window, x, y)
    assert window.design.target.point[1] == pytest.approx(3.2, abs=1e-3)
    window.viewport.view_preset("iso")
    save_artifact(window.grab().toImage(), "gui_outline_ifc_space_shown.png")

    # selecting a row in the tree highlights that element only
    tree.setCurrentItem(walls.child(0))
    assert window.viewport.outline_layer.highlighted == (0,)
    tree.setCurrentItem(walls)
    assert sorted(window.viewport.outline_layer.highlighted) == [0, 1, 2]


def test_sample_outline_filter_and_hide_a_group(window, qtbot):
    with qtbot.waitSignal(window.sceneLoaded, timeout=180_000):
        window.open_scene(SAMPLE)
    panel = window.outline_panel
    top = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert top == ["curtains", "stool", "sofa", "tall_cabinet", "bookshelf", "cabinet", "room"]
    window.viewport.view_preset("iso")
    save_artifact(window.grab().toImage(), "gui_outline_sample.png")
    panel.filter.setText("sofa")
    shown = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())
             if not panel.tree.topLevelItem(i).isHidden()]
    assert shown == ["sofa"]
    panel.filter.setText("")
    room = _row(window, "room")
    panel.set_row_visible(room, False)
    parts = window.outline.nodes[room].parts
    assert all(not window.viewport.outline_layer.part_visible(int(p)) for p in parts)
    sofa = int(window.outline.nodes[_row(window, "sofa")].parts[0])
    assert window.viewport.outline_layer.part_visible(sofa)
    assert sorted(int(p) for p in window.hidden_surfaces()) == sorted(int(p) for p in parts)
