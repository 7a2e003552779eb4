"""QUndoCommand adapters over the Qt-free edits in ``genzi_desktop.model.edits``, and the
per-person undo histories they go on."""

from __future__ import annotations

from typing import Callable

from PySide6 import QtCore, QtGui

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


class PersonHistories(QtCore.QObject):
    """One undo stack per person in a ``QUndoGroup``: the active stack is the selected person's,
    so switching to another person and back keeps Ctrl+Z working on the first one's edits.

    Stacks are keyed by the person object (rows move when people are removed). A stack goes
    when its person leaves the project (removal cannot be undone) or with the project.
    """

    def __init__(self, parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self.group = QtGui.QUndoGroup(self)
        self._owned: dict[int, tuple[object, QtGui.QUndoStack]] = {}
        self._spare: QtGui.QUndoStack | None = self._new_stack()  # edits before the first person exists
        self.group.setActiveStack(self._spare)

    def _new_stack(self) -> QtGui.QUndoStack:
        stack = QtGui.QUndoStack(self)
        self.group.addStack(stack)
        return stack

    @property
    def active(self) -> QtGui.QUndoStack:
        return self.group.activeStack()

    def stacks(self) -> list[QtGui.QUndoStack]:
        return list(self.group.stacks())

    def follow(self, people, active) -> QtGui.QUndoStack:
        """Drop the stacks of people no longer in ``people`` and make ``active``'s stack the
        group's active one (a new stack for a new person)."""
        alive = {id(p) for p in people}
        for key in [k for k in self._owned if k not in alive]:
            _person, stack = self._owned.pop(key)
            self.group.removeStack(stack)
            stack.deleteLater()
        if id(active) not in self._owned:
            stack, self._spare = self._spare or self._new_stack(), None
            self._owned[id(active)] = (active, stack)
        stack = self._owned[id(active)][1]
        self.group.setActiveStack(stack)
        return stack

    def clear(self) -> None:
        """Empty every person's history (a new scene: the edits were of the old one)."""
        for stack in self.stacks():
            stack.clear()
