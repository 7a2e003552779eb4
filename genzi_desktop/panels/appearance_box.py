"""Style, outfit, hair and colour choices for the selected body (a row under the results)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from genzi_desktop.model.appearance import AUTO, KEYS, choices
from pipeline.appearance.styles import STYLE_LABELS

_LABELS = {"style": "Style", "outfit": "Outfit", "hair": "Hair", "colours": "Colours"}


def _text(key: str, value: str) -> str:
    if value == AUTO:
        return "automatic"
    if key == "style":
        return STYLE_LABELS[value]
    return "from the paintings" if value == "paintings" else value


class AppearanceBox(QtWidgets.QGroupBox):
    """Emits ``appearanceChosen(dict)`` when the user picks something; shows a result's choices."""

    appearanceChosen = QtCore.Signal(dict)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Appearance", parent)
        self.combos: dict[str, QtWidgets.QComboBox] = {}
        layout = QtWidgets.QGridLayout(self)  # two narrow columns: the dock keeps its width
        layout.setContentsMargins(4, 2, 4, 2)
        for k, (key, values) in enumerate(choices().items()):
            combo = QtWidgets.QComboBox(self)
            combo.setObjectName(f"appearance_{key}")
            combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            for value in values:
                combo.addItem(_text(key, value), value)
            combo.activated.connect(self._chosen)
            layout.addWidget(QtWidgets.QLabel(_LABELS[key], self), k // 2, 2 * (k % 2))
            layout.addWidget(combo, k // 2, 2 * (k % 2) + 1)
            self.combos[key] = combo
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        self.note = QtWidgets.QLabel("", self)
        self.note.setObjectName("appearance_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note, 2, 0, 1, 4)
        self.setEnabled(False)

    def values(self) -> dict[str, str]:
        return {key: self.combos[key].currentData() for key in KEYS}

    def show_appearance(self, values: dict[str, str] | None, default_style: str, clothes: bool = True) -> None:
        """Show ``values`` (None: no body selected); ``clothes`` False for a body without the
        topology clothes bind to (SMPL-X): outfit and hair are then unavailable."""
        self.setEnabled(values is not None)
        values = values or {}
        for key, combo in self.combos.items():
            value = values.get(key, default_style if key == "style" else ("paintings" if key == "colours" else AUTO))
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        for key in ("outfit", "hair"):
            self.combos[key].setEnabled(clothes)
        self.note.setText("" if clothes else "Clothes and hair need an Anny body; styles still apply.")

    def _chosen(self, _index: int) -> None:
        self.appearanceChosen.emit(self.values())
