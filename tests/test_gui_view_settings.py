"""The window selects views with the job's settings: the preset's number of views, the
Advanced > Views value and the Target panel's region radius all change what it paints."""

from __future__ import annotations

import pytest

from gui_support import SAMPLE, SOFA_SEAT, gui_settings, message_boxes, sample_scene, window  # noqa: F401 - fixtures
from genzi_desktop.model.project import PromptSettings
from pipeline.scene.targets import Target

pytestmark = pytest.mark.gui


def _select(window, qtbot) -> list:
    with qtbot.waitSignal(window.viewsSelected, timeout=180_000):
        window.act_select_views.trigger()
    return list(window.design.cameras)


def test_fast_preset_selects_and_paints_eight_views(window, qtbot, sample_scene):
    window.generation.prompt_panel.set_values(PromptSettings(preset="fast"))
    window.set_scene(sample_scene, SAMPLE)
    window.set_target(Target(SOFA_SEAT, (0.0, 0.0, 1.0)))
    cams = _select(window, qtbot)
    assert len(cams) == 8
    assert window.camera_panel.list.count() == 8
    drawn = window.viewport.plotter.actors["camera-frustums"].mapper.dataset.n_points
    selected = window.viewport.plotter.actors.get("camera-selected")
    assert drawn + (selected.mapper.dataset.n_points if selected is not None else 0) == 5 * 8


def test_advanced_views_and_region_radius_change_the_selection(window, qtbot, sample_scene):
    panel = window.generation.prompt_panel
    panel.set_values(PromptSettings(preset="fast"))
    panel.advanced_box.setChecked(True)
    panel.views_spin.setValue(4)
    window.set_scene(sample_scene, SAMPLE)
    window.set_target(Target(SOFA_SEAT, (0.0, 0.0, 1.0)))
    point = _select(window, qtbot)
    assert len(point) == 4
    window.target_panel.radius.setValue(0.6)  # the panel's edit goes through the design
    assert window.design.target.radius == pytest.approx(0.6)
    region = _select(window, qtbot)
    assert len(region) == 4
    visibility = lambda cams: [round(c.extra["visibility"], 4) for c in cams]  # noqa: E731
    assert ([c.position.tolist() for c in point], visibility(point)) != (
        [c.position.tolist() for c in region], visibility(region))
