"""QUndoCommand adapter over the Qt-free edits in ``genzi_desktop.model.edits``."""

from __future__ import annotations

from typing import Callable

from PySide6 import QtGui

from genzi_desktop.model.edits import Design, Edit

_MERGE_IDS = {"target": 1001, "cameras": 1002}


class EditCommand(QtGui.QUndoCommand):
    """Runs one ``Edit`` on a ``Design`` and tells the window what changed."""

    def __init__(self, design: Design, edit: Edit, changed: Callable[[str], None]) -> None:
        super().__init__(edit.text)
        self.design, self.edit, self._changed = design, edit, changed

    def id(self) -> int:  # noqa: A003 - Qt API
        if self.edit.merge_key is None:
            return -1
        return _MERGE_IDS.get(self.edit.kind, -1)

    def mergeWith(self, other: QtGui.QUndoCommand) -> bool:  # noqa: N802 - Qt API
        return isinstance(other, EditCommand) and self.edit.merge(other.edit)

    def redo(self) -> None:
        self.edit.redo(self.design)
        self._changed(self.edit.kind)

    def undo(self) -> None:
        self.edit.undo(self.design)
        self._changed(self.edit.kind)


class ModelCommand(QtGui.QUndoCommand):
    """Runs a Qt-free edit (``redo``, ``undo``, ``text``); ``changed(again)`` shows its effect.
    ``again`` is False on the first run, which the widget that asked for it already shows
    (rebuilding that widget from inside its own signal is unsafe)."""

    def __init__(self, edit, changed: Callable[[bool], None]) -> None:
        super().__init__(edit.text)
        self.edit, self._changed, self._first = edit, changed, True

    def redo(self) -> None:
        self.edit.redo()
        self._changed(not self._first)
        self._first = False

    def undo(self) -> None:
        self.edit.undo()
        self._changed(True)
