"""The dialogs that ask how to export: bodies (format, which, scene, axes, units) and images.

Only choices live here; the export itself runs in :mod:`genzi_desktop.controllers.export`.
The body dialog edits the export section of the settings tree
(:class:`pipeline.core.export_settings.ExportSettings`), the same type ``genzi export``'s flags
and a run's ``config.json`` hold. It opens on the section the project last exported with, else
on the one remembered for the app (:mod:`genzi_desktop.export_memory`, one per format); GLB's
frame is fixed by glTF, so its choices are shown but disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6 import QtCore, QtWidgets

from pipeline.core.export_settings import ExportSettings
from pipeline.export import FORMATS, UNITS, UP_AXES, ExportError
from pipeline.export.apps import APPS
from pipeline.export.options import resolved

from genzi_desktop import export_memory

IMAGE_WIDTHS = (1280, 1920, 2560, 3840)


def _export_buttons(dialog: QtWidgets.QDialog) -> QtWidgets.QDialogButtonBox:
    """Export… / Cancel, wired to the dialog's ``accept_choice`` and ``reject``."""
    ok, cancel = QtWidgets.QDialogButtonBox.StandardButton.Ok, QtWidgets.QDialogButtonBox.StandardButton.Cancel
    buttons = QtWidgets.QDialogButtonBox(ok | cancel, dialog)
    buttons.button(ok).setText("Export…")
    buttons.accepted.connect(dialog.accept_choice)
    buttons.rejected.connect(dialog.reject)
    return buttons


@dataclass(frozen=True)
class ImageChoice:
    """What the user chose in :class:`ImageExportDialog`: camera index (-1 = viewport) and width."""

    camera: int
    width: int
    supersample: int


class ExportDialog(QtWidgets.QDialog):
    """Format, selected/all bodies, scene, target application, up axis and unit: the export
    section of the settings tree, remembered per format; ``project_section``: the one the open
    project last exported with, shown first and for its format."""

    def __init__(self, parent, qs: QtCore.QSettings, *, has_selection: bool, has_scene: bool,
                 design_suffix: str | None = None, project_section: ExportSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export bodies")
        self.qs = qs
        self.project_section = project_section
        self.format_combo = QtWidgets.QComboBox(self)
        for key in FORMATS:  # in the table's order
            self.format_combo.addItem(FORMATS[key].label, key)
            if FORMATS[key].into_original and FORMATS[key].suffix != design_suffix:
                # people go into a copy of the opened design: only offered when it is that format
                item = self.format_combo.model().item(self.format_combo.count() - 1)
                item.setEnabled(False)
                item.setToolTip(f"Open a {FORMATS[key].suffix} design to write people into a copy of it.")
        self.selected_radio = QtWidgets.QRadioButton("Selected bodies", self)
        self.all_radio = QtWidgets.QRadioButton("All bodies", self)
        self.selected_radio.setEnabled(has_selection)
        self._has_selection = has_selection
        all_bodies = export_memory.all_bodies(qs)  # the user's last choice; the selection before one
        (self.all_radio if all_bodies or not has_selection else self.selected_radio).setChecked(True)
        self.scene_check = QtWidgets.QCheckBox("Include the scene in the same file", self)
        self.scene_check.setEnabled(has_scene)
        self._has_scene = has_scene
        self.up_combo = QtWidgets.QComboBox(self)
        for axis in UP_AXES:
            self.up_combo.addItem(f"{axis.upper()} up", axis)
        self.units_combo = QtWidgets.QComboBox(self)
        for unit in UNITS:
            self.units_combo.addItem(unit, unit)
        self.app_combo = QtWidgets.QComboBox(self)
        self.app_combo.addItem("(choose axes and unit below)", "")
        for key, app in APPS.items():
            self.app_combo.addItem(app.label, key)
        self.app_combo.setToolTip("Sets the up axis and unit the application's importer expects")
        self.note = QtWidgets.QLabel(self)
        self.note.setWordWrap(True)
        which = QtWidgets.QHBoxLayout()
        which.addWidget(self.selected_radio)
        which.addWidget(self.all_radio)
        form = QtWidgets.QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("Bodies", which)
        form.addRow("", self.scene_check)
        form.addRow("Target application", self.app_combo)
        form.addRow("Up axis", self.up_combo)
        form.addRow("Unit", self.units_combo)
        buttons = _export_buttons(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        last = self.remembered(project_section.format if project_section is not None and project_section.format
                               else export_memory.last_format(qs))
        self.section = last  # what the dialog shows; fields it has no widget for pass through
        self.set_app(last.app or "")
        index = self.format_combo.findData(last.format)
        if index < 0 or not self.format_combo.model().item(index).isEnabled():
            index = 0
        self.format_combo.setCurrentIndex(index)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.app_combo.currentIndexChanged.connect(self._app_changed)
        self._format_changed()

    # ---- per-format memory ----------------------------------------------------------------
    def remembered(self, fmt: str | None) -> ExportSettings:
        """The section last used with ``fmt``: the project's, else the app's (the tree's defaults
        before the first export)."""
        section = self.project_section
        if section is not None and fmt is not None and section.format == fmt:
            try:
                return resolved(section)
            except (ValueError, TypeError, ExportError):  # not usable here: the app's memory
                pass
        return export_memory.remembered(self.qs, fmt)

    def _format_changed(self, *_args) -> None:
        """Show the format's remembered section; a target application picked here still applies."""
        fmt = self.format()
        info = FORMATS[fmt]
        app = str(self.app_combo.currentData() or "") or None
        remembered = self.remembered(fmt)
        section = replace(remembered, app=app)
        if app and app != remembered.app:
            section = replace(section, up=None, units=None)  # the application's frame
        # (the same application: the frame the user last chose with it, which may differ from its default)
        self._show(resolved(section))
        self.up_combo.setEnabled(not info.frame_fixed)
        self.units_combo.setEnabled(not info.frame_fixed)
        self.app_combo.setEnabled(not info.frame_fixed)
        self.scene_check.setEnabled(self._has_scene and not info.into_original)  # the design is the scene

    def _app_changed(self, *_args) -> None:
        """A target application sets the frame its importer expects for this format."""
        app = str(self.app_combo.currentData() or "") or None
        if not FORMATS[self.format()].frame_fixed and app:
            self._show(resolved(replace(self.choice(), app=app, up=None, units=None)))

    def _show(self, section: ExportSettings) -> None:
        info = FORMATS[section.format]
        self.section = section
        self.up_combo.setCurrentIndex(max(0, self.up_combo.findData(section.up)))
        self.units_combo.setCurrentIndex(max(0, self.units_combo.findData(section.units)))
        self.scene_check.setChecked(section.with_scene and self._has_scene and not info.into_original)
        self.note.setText(f"{info.note} {APPS[section.app].note}" if section.app and not info.frame_fixed
                          else info.note)

    def set_app(self, key: str) -> None:
        self.app_combo.setCurrentIndex(max(0, self.app_combo.findData(key)))

    def remember(self) -> None:
        """Keep the chosen section for its format, which format was last used and, when there
        was a choice, selected or all bodies."""
        export_memory.remember(self.qs, self.choice())
        if self._has_selection:  # "All" without a selection was no choice: keep the user's
            export_memory.remember_all_bodies(self.qs, self.all_bodies())

    def accept_choice(self) -> None:
        self.remember()
        self.accept()

    # ---- values ------------------------------------------------------------------------------
    def format(self) -> str:
        return str(self.format_combo.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def choice(self) -> ExportSettings:
        """The export section as shown (format, application, frame, scene; the look passes through)."""
        return replace(self.section, format=self.format(), app=str(self.app_combo.currentData() or "") or None,
                       up=str(self.up_combo.currentData()), units=str(self.units_combo.currentData()),
                       with_scene=self.scene_check.isChecked() and self._has_scene)

    def all_bodies(self) -> bool:
        return self.all_radio.isChecked()


class ImageExportDialog(QtWidgets.QDialog):
    """Which view (the viewport or one of the cameras) and how wide the PNG is."""

    def __init__(self, parent, qs: QtCore.QSettings, camera_names: list[str], selected_camera: int = -1) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export image")
        self.qs = qs
        self.view_combo = QtWidgets.QComboBox(self)
        self.view_combo.addItem("Current viewport view", -1)
        for i, name in enumerate(camera_names):
            self.view_combo.addItem(f"Camera {name}", i)
        self.view_combo.setCurrentIndex(max(0, self.view_combo.findData(selected_camera)))
        self.width_combo = QtWidgets.QComboBox(self)
        for w in IMAGE_WIDTHS:
            self.width_combo.addItem(f"{w} px wide", w)
        width = int(qs.value("exportImage/width", 1920, type=int))
        self.width_combo.setCurrentIndex(max(0, self.width_combo.findData(width)))
        self.smooth_check = QtWidgets.QCheckBox("Smooth edges (renders twice as large, slower)", self)
        self.smooth_check.setChecked(bool(qs.value("exportImage/smooth", False, type=bool)))
        form = QtWidgets.QFormLayout()
        form.addRow("View", self.view_combo)
        form.addRow("Size", self.width_combo)
        form.addRow("", self.smooth_check)
        buttons = _export_buttons(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

    def choice(self) -> ImageChoice:
        return ImageChoice(camera=int(self.view_combo.currentData()), width=int(self.width_combo.currentData()),
                           supersample=2 if self.smooth_check.isChecked() else 1)

    def accept_choice(self) -> None:
        c = self.choice()
        self.qs.setValue("exportImage/width", c.width)
        self.qs.setValue("exportImage/smooth", c.supersample > 1)
        self.accept()
