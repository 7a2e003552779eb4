"""Small reusable input widgets for the panels."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class Vec3Edit(QtWidgets.QWidget):
    """Three spin boxes for x, y, z; ``edited(field_index)`` fires on committed changes."""

    edited = QtCore.Signal(int)

    def __init__(self, parent=None, *, minimum=-1e4, maximum=1e4, decimals=3, step=0.01, suffix=" m") -> None:
        super().__init__(parent)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[QtWidgets.QDoubleSpinBox] = []
        for i, axis in enumerate("xyz"):
            box = QtWidgets.QDoubleSpinBox(self)
            box.setRange(minimum, maximum)
            box.setDecimals(decimals)
            box.setSingleStep(step)
            box.setSuffix(suffix)
            box.setKeyboardTracking(False)
            box.setPrefix(f"{axis} ")
            box.setAccelerated(True)
            # share the width instead of asking for room for "x -10000.000 m" three times
            box.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
            box.setMinimumWidth(72)
            box.valueChanged.connect(lambda _v, i=i: self._changed(i))
            layout.addWidget(box)
            self.boxes.append(box)
        self._quiet = False

    def _changed(self, index: int) -> None:
        if not self._quiet:
            self.edited.emit(index)

    def value(self) -> tuple[float, float, float]:
        return tuple(b.value() for b in self.boxes)  # type: ignore[return-value]

    def set_value(self, values) -> None:
        self._quiet = True
        try:
            for box, v in zip(self.boxes, values):
                box.setValue(float(v))
        finally:
            self._quiet = False


def ask_inpaint_model_folder(parent: QtWidgets.QWidget) -> str:
    """The user's diffusers-layout model folder ('' when cancelled); the model panel and the
    first-run set-up dialog ask the same way."""
    return QtWidgets.QFileDialog.getExistingDirectory(parent, "Inpainting model folder (diffusers layout)")


def ask_inpaint_model_file(parent: QtWidgets.QWidget) -> str:
    """The user's single-file checkpoint ('' when cancelled)."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Inpainting model file", "",
                                                    "Model files (*.safetensors *.ckpt)")
    return path
