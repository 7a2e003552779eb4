"""Asks for the up axis and unit of a file format that does not say them (OBJ, PLY, STL, FBX)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from pipeline.scene.units import UNIT_NAMES, UP_AXES

from genzi_desktop.model.scene_io import SceneImportOptions

_UP_LABELS = {"z": "+Z up", "y": "+Y up", "x": "+X up", "-z": "-Z up", "-y": "-Y up", "-x": "-X up"}


class ImportOptionsDialog(QtWidgets.QDialog):
    """Pre-filled with a guess (or the choice remembered for this file); the user confirms."""

    def __init__(self, path: str | Path, initial: SceneImportOptions, why: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {Path(path).name}")
        layout = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel(
            f"<b>{Path(path).name}</b> does not say which way is up or which unit it uses. "
            "Check the guess below; the choice is remembered for this file.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if why:
            reason = QtWidgets.QLabel(why, self)
            reason.setWordWrap(True)
            reason.setStyleSheet("color: #555;")
            layout.addWidget(reason)
        form = QtWidgets.QFormLayout()
        self.up_axis = QtWidgets.QComboBox(self)
        for axis in UP_AXES:
            self.up_axis.addItem(_UP_LABELS.get(axis, axis), axis)
        self.unit = QtWidgets.QComboBox(self)
        for key, name in UNIT_NAMES.items():
            self.unit.addItem(name, key)
        form.addRow("Up axis", self.up_axis)
        form.addRow("Unit", self.unit)
        layout.addLayout(form)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._select(self.up_axis, initial.up_axis or "z")
        self._select(self.unit, initial.unit or "m")

    @staticmethod
    def _select(combo: QtWidgets.QComboBox, key: str) -> None:
        index = combo.findData(key)
        if index >= 0:
            combo.setCurrentIndex(index)

    def options(self) -> SceneImportOptions:
        return SceneImportOptions(up_axis=self.up_axis.currentData(), unit=self.unit.currentData())
