"""Target panel: the target point, its normal and region radius as editable numbers.

Changes are proposed as new ``Target`` values through ``targetEdited``; the window turns them
into undoable edits. Repeated changes of one field (holding an arrow key, wheel, dragging)
share a merge key until the field loses focus, so they undo as one step.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from pipeline.scene.targets import Target

from genzi_desktop.panels.widgets import Vec3Edit


class TargetPanel(QtWidgets.QWidget):
    #: (new target, merge key) -- emitted when the user edits a number.
    targetEdited = QtCore.Signal(object, object)
    clearRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._target: Target | None = None
        self._session = 0
        form = QtWidgets.QFormLayout(self)
        self.hint = QtWidgets.QLabel("Click a surface to place the target; Shift+drag moves it.", self)
        self.hint.setWordWrap(True)
        form.addRow(self.hint)
        self.point = Vec3Edit(self)
        self.normal = Vec3Edit(self, minimum=-1.0, maximum=1.0, decimals=3, step=0.05, suffix="")
        self.radius = QtWidgets.QDoubleSpinBox(self)
        self.radius.setRange(0.0, 100.0)
        self.radius.setDecimals(2)
        self.radius.setSingleStep(0.05)
        self.radius.setSuffix(" m")
        self.radius.setKeyboardTracking(False)
        self.radius.setToolTip("0 = a single point; larger = a region around the point")
        form.addRow("Point", self.point)
        form.addRow("Normal", self.normal)
        form.addRow("Region radius", self.radius)
        self.clear_button = QtWidgets.QPushButton("Clear target", self)
        form.addRow(self.clear_button)
        self.point.edited.connect(lambda i: self._edited(("point", i)))
        self.normal.edited.connect(lambda i: self._edited(("normal", i)))
        self.radius.valueChanged.connect(lambda _v: self._edited(("radius", 0)))
        self.clear_button.clicked.connect(self.clearRequested)
        for box in self.point.boxes + self.normal.boxes + [self.radius]:
            box.editingFinished.connect(self._new_session)
        self._quiet = False
        self.set_target(None)

    @QtCore.Slot()
    def _new_session(self) -> None:
        self._session += 1

    def set_target(self, target: Target | None) -> None:
        """Show ``target`` without emitting edits."""
        self._target = target
        self._quiet = True
        try:
            enabled = target is not None
            for w in (self.point, self.normal, self.radius, self.clear_button):
                w.setEnabled(enabled)
            if target is not None:
                self.point.set_value(target.point)
                self.normal.set_value(target.normal)
                self.radius.setValue(target.radius)
        finally:
            self._quiet = False

    def _edited(self, field) -> None:
        if self._quiet or self._target is None:
            return
        try:
            new = Target(self.point.value(), self.normal.value(), self.radius.value())
        except ValueError:
            self.set_target(self._target)  # e.g. a zero normal: put the old numbers back
            return
        if new != self._target:
            self.targetEdited.emit(new, ("target-panel", field, self._session))
