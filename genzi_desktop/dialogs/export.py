"""The dialogs that ask how to export: bodies (format, which, scene, axes, units) and images.

Only choices live here; the export itself runs in :mod:`genzi_desktop.controllers.export`.
The up axis and unit are remembered per format in QSettings because the receiving tools
differ (Rhino wants Z-up, Maya Y-up centimetres); GLB's frame is fixed by glTF, so its
choices are shown but disabled.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from pipeline.export import FORMATS, UNITS, UP_AXES
from pipeline.export.apps import APPS

#: The formats offered, in menu order.
FORMAT_ORDER = ("obj", "ply", "glb", "fbx", "usd", "usdz", "dae", "ifc", "3dm")
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
class ExportChoice:
    """What the user chose in :class:`ExportDialog`."""

    format: str
    all_bodies: bool
    with_scene: bool
    up: str
    units: str


@dataclass(frozen=True)
class ImageChoice:
    """What the user chose in :class:`ImageExportDialog`: camera index (-1 = viewport) and width."""

    camera: int
    width: int
    supersample: int


class ExportDialog(QtWidgets.QDialog):
    """Format, selected/all bodies, scene, up axis and unit; defaults remembered per format."""

    def __init__(self, parent, qs: QtCore.QSettings, *, has_selection: bool, has_scene: bool,
                 design_suffix: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export bodies")
        self.qs = qs
        self.format_combo = QtWidgets.QComboBox(self)
        for key in FORMAT_ORDER:
            self.format_combo.addItem(FORMATS[key].label, key)
            if FORMATS[key].into_original and FORMATS[key].suffix != design_suffix:
                # people go into a copy of the opened design: only offered when it is that format
                item = self.format_combo.model().item(self.format_combo.count() - 1)
                item.setEnabled(False)
                item.setToolTip(f"Open a {FORMATS[key].suffix} design to write people into a copy of it.")
        self.selected_radio = QtWidgets.QRadioButton("Selected bodies", self)
        self.all_radio = QtWidgets.QRadioButton("All bodies", self)
        self.selected_radio.setEnabled(has_selection)
        (self.selected_radio if has_selection else self.all_radio).setChecked(True)
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
        self._loading = False
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.app_combo.currentIndexChanged.connect(self._app_changed)
        last = str(qs.value("export/format", "obj", type=str) or "obj")
        self.set_app(str(qs.value("export/app", "", type=str) or ""))
        index = self.format_combo.findData(last)
        if index < 0 or not self.format_combo.model().item(index).isEnabled():
            index = 0
        self.format_combo.setCurrentIndex(index)
        self._format_changed()

    # ---- per-format memory ----------------------------------------------------------------
    def _remembered(self, fmt: str) -> tuple[str, str, bool]:
        info = FORMATS[fmt]
        if info.frame_fixed:
            up, units = info.default_up, info.default_units
        else:
            up = str(self.qs.value(f"export/{fmt}/up", info.default_up, type=str) or info.default_up)
            units = str(self.qs.value(f"export/{fmt}/units", info.default_units, type=str) or info.default_units)
        scene = bool(self.qs.value(f"export/{fmt}/with_scene", False, type=bool))
        return up, units, scene

    def _format_changed(self, *_args) -> None:
        fmt = self.format()
        info = FORMATS[fmt]
        up, units, scene = self._remembered(fmt)
        self.up_combo.setCurrentIndex(max(0, self.up_combo.findData(up)))
        self.units_combo.setCurrentIndex(max(0, self.units_combo.findData(units)))
        self.up_combo.setEnabled(not info.frame_fixed)
        self.units_combo.setEnabled(not info.frame_fixed)
        self.app_combo.setEnabled(not info.frame_fixed)
        self.scene_check.setEnabled(self._has_scene and not info.into_original)  # the design is the scene
        self.scene_check.setChecked(scene and self._has_scene and not info.into_original)
        self.note.setText(info.note)
        self._app_changed()

    def _app_changed(self, *_args) -> None:
        """A target application sets the frame its importer expects for this format."""
        key = str(self.app_combo.currentData() or "")
        frame = APPS[key].frame_for(self.format()) if key else None
        if frame is None or FORMATS[self.format()].frame_fixed:
            return
        self.up_combo.setCurrentIndex(max(0, self.up_combo.findData(frame.up)))
        self.units_combo.setCurrentIndex(max(0, self.units_combo.findData(frame.units)))
        self.note.setText(f"{FORMATS[self.format()].note} {APPS[key].note}")

    def set_app(self, key: str) -> None:
        self.app_combo.setCurrentIndex(max(0, self.app_combo.findData(key)))

    def remember(self) -> None:
        c = self.choice()
        self.qs.setValue("export/format", c.format)
        self.qs.setValue("export/app", str(self.app_combo.currentData() or ""))
        if not FORMATS[c.format].frame_fixed:
            self.qs.setValue(f"export/{c.format}/up", c.up)
            self.qs.setValue(f"export/{c.format}/units", c.units)
        self.qs.setValue(f"export/{c.format}/with_scene", c.with_scene)

    def accept_choice(self) -> None:
        self.remember()
        self.accept()

    # ---- values ------------------------------------------------------------------------------
    def format(self) -> str:
        return str(self.format_combo.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def choice(self) -> ExportChoice:
        return ExportChoice(format=self.format(), all_bodies=self.all_radio.isChecked(),
                            with_scene=self.scene_check.isChecked() and self._has_scene,
                            up=str(self.up_combo.currentData()), units=str(self.units_combo.currentData()))


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
