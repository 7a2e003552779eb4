"""Settings are remembered across restarts: the export dialog's Selected / All bodies choice and
the outline's filter text and open rows. Each test makes the widget, changes the value,
destroys it, and makes it again on settings read back from the INI file, as the next start does."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from gui_support import SAMPLE, gui_settings, message_boxes, sample_scene, window  # noqa: F401 - fixtures
from pipeline.scene.outline import Outline

pytestmark = pytest.mark.gui


def _restart(qtbot, widget, settings):
    """Destroy ``widget``, write the settings out and read them back as a new start would."""
    from genzi_desktop.settings import AppSettings

    widget.deleteLater()
    qtbot.wait(5)
    settings.sync()
    return AppSettings(QtCore.QSettings())


def test_export_dialog_remembers_selected_or_all_bodies(qtbot, gui_settings):
    from genzi_desktop.dialogs.export import ExportDialog

    def dialog(settings, has_selection=True):
        return ExportDialog(None, settings.qs, has_selection=has_selection, has_scene=False)

    d = dialog(gui_settings)
    assert d.selected_radio.isChecked()  # before any choice: the selection, when there is one
    d.all_radio.click()
    d.accept_choice()
    settings = _restart(qtbot, d, gui_settings)

    d = dialog(settings)
    assert d.all_radio.isChecked() and d.all_bodies()
    d.selected_radio.click()
    d.accept_choice()
    settings = _restart(qtbot, d, settings)

    d = dialog(settings, has_selection=False)  # nothing selected: All, but no choice to remember
    assert d.all_bodies()
    d.accept_choice()
    settings = _restart(qtbot, d, settings)

    d = dialog(settings)
    assert d.selected_radio.isChecked()
    d.all_radio.click()
    d.reject()  # a cancelled dialog changes nothing
    settings = _restart(qtbot, d, settings)
    d = dialog(settings)
    assert d.selected_radio.isChecked()
    d.deleteLater()


def _rows(panel) -> list:
    tree = panel.tree
    return [tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
            for j in range(tree.topLevelItem(i).childCount())] + [
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]


def _open_rows(panel) -> set[str]:
    return {item.text(0) for item in _rows(panel) if item.childCount() and item.isExpanded()}


def _shown_rows(panel) -> set[str]:
    return {item.text(0) for item in _rows(panel) if not item.isHidden()}


def test_outline_filter_and_open_rows_are_remembered(qtbot, gui_settings, sample_scene):
    from genzi_desktop.panels.outline_panel import OutlinePanel

    panel = OutlinePanel(None, gui_settings)
    panel.set_outline(Outline(sample_scene), SAMPLE)
    everything = {"curtains", "stool", "sofa", "tall_cabinet", "bookshelf", "cabinet", "room"}
    assert _open_rows(panel) == everything  # a new file: the top rows open
    qtbot.keyClicks(panel.filter, "cabinet")
    shown = _shown_rows(panel)
    assert "sofa" not in shown and "tall_cabinet" in shown
    settings = _restart(qtbot, panel, gui_settings)

    panel = OutlinePanel(None, settings)
    assert panel.filter.text() == "cabinet"
    panel.set_outline(Outline(sample_scene), SAMPLE)
    shown = _shown_rows(panel)
    assert "sofa" not in shown and "tall_cabinet" in shown  # the filter applies again
    panel.filter.clear()
    for item in panel.tree.findItems("sofa", QtCore.Qt.MatchFlag.MatchExactly) + panel.tree.findItems(
            "room", QtCore.Qt.MatchFlag.MatchExactly):
        panel.tree.collapseItem(item)  # what a click on the row's arrow does
    settings = _restart(qtbot, panel, settings)

    panel = OutlinePanel(None, settings)
    assert panel.filter.text() == ""
    panel.set_outline(Outline(sample_scene), SAMPLE)
    assert _open_rows(panel) == everything - {"sofa", "room"}
    panel.set_outline(Outline(sample_scene), SAMPLE.with_name("another_copy.glb"))
    assert _open_rows(panel) == everything  # rows are remembered per file
    panel.deleteLater()


def test_window_outline_remembers_for_the_scene_file(window, sample_scene, gui_settings):
    window.set_scene(sample_scene, SAMPLE)
    panel = window.outline_panel
    panel.tree.collapseItem(panel.tree.findItems("sofa", QtCore.Qt.MatchFlag.MatchExactly)[0])
    assert ("sofa",) not in set(gui_settings.outline_expanded(SAMPLE)) and ("room",) in set(
        gui_settings.outline_expanded(SAMPLE))
    window.outline_panel.filter.setText("door")
    assert gui_settings.outline_filter() == "door"
