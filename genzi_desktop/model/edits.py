"""Undoable edits of what the user places in a design (the target and the cameras) and of what
the scene outline shows, Qt-free.

The desktop wraps each :class:`Edit` in a ``QUndoCommand``; the logic (what changes, how to
revert it, which edits fold into one undo step) lives here so it is testable without Qt.
Edits that carry the same non-None ``merge_key`` (for example one mouse drag) merge into one
undo step that spans from the state before the first to the state after the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

from pipeline.views.cameras import Camera
from pipeline.scene.targets import Target


@dataclass
class Design:
    """The editable state: at most one target and an ordered list of cameras."""

    target: Target | None = None
    cameras: list[Camera] = field(default_factory=list)


class Edit:
    """One reversible change of a :class:`Design`."""

    text: str = "Edit"
    kind: str = "edit"  # what changed ("target" or "cameras"), so views refresh only that
    merge_key: Hashable | None = None

    def redo(self, design: Design) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self, design: Design) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def merge(self, later: "Edit") -> bool:
        """Absorb ``later`` (already applied) into this edit; True if it was absorbed."""
        return False


class SetTarget(Edit):
    """Place, move, re-aim or resize the target (``new`` None clears it)."""

    kind = "target"

    def __init__(self, old: Target | None, new: Target | None, text: str = "Move target",
                 merge_key: Hashable | None = None) -> None:
        self.old, self.new, self.text, self.merge_key = old, new, text, merge_key

    def redo(self, design: Design) -> None:
        design.target = self.new

    def undo(self, design: Design) -> None:
        design.target = self.old

    def merge(self, later: Edit) -> bool:
        if (isinstance(later, SetTarget) and self.merge_key is not None
                and later.merge_key == self.merge_key):
            self.new = later.new
            return True
        return False


def _copy_cameras(cameras: Sequence[Camera]) -> list[Camera]:
    return [Camera.from_dict(c.to_dict()) for c in cameras]


class SetCameras(Edit):
    """Replace the whole camera list (view selection, add, delete, reorder)."""

    kind = "cameras"

    def __init__(self, old: Sequence[Camera], new: Sequence[Camera], text: str = "Change cameras") -> None:
        self.old, self.new, self.text = _copy_cameras(old), _copy_cameras(new), text

    def redo(self, design: Design) -> None:
        design.cameras = _copy_cameras(self.new)

    def undo(self, design: Design) -> None:
        design.cameras = _copy_cameras(self.old)


class ChangeCamera(Edit):
    """Move, aim or re-parameterise the camera at ``index``."""

    kind = "cameras"

    def __init__(self, index: int, old: Camera, new: Camera, text: str = "Edit camera",
                 merge_key: Hashable | None = None) -> None:
        self.index = int(index)
        self.old = Camera.from_dict(old.to_dict())
        self.new = Camera.from_dict(new.to_dict())
        self.text, self.merge_key = text, merge_key

    def _check(self, design: Design) -> None:
        if not 0 <= self.index < len(design.cameras):
            raise IndexError(f"There is no camera number {self.index + 1} to edit.")

    def redo(self, design: Design) -> None:
        self._check(design)
        design.cameras[self.index] = Camera.from_dict(self.new.to_dict())

    def undo(self, design: Design) -> None:
        self._check(design)
        design.cameras[self.index] = Camera.from_dict(self.old.to_dict())

    def merge(self, later: Edit) -> bool:
        if (isinstance(later, ChangeCamera) and self.merge_key is not None
                and later.merge_key == self.merge_key and later.index == self.index):
            self.new = later.new
            return True
        return False


class SetVisibility(Edit):
    """Show or hide scene parts in the outline (a row and everything under it); the outline
    belongs to the open scene, so the window clears these edits with the scene."""

    kind = "outline"

    def __init__(self, outline, node_id: int, on: bool) -> None:
        self.outline = outline
        self.old = outline.visible.copy()
        outline_parts = outline.nodes[node_id].parts
        self.new = self.old.copy()
        self.new[outline_parts] = bool(on)
        label = outline.nodes[node_id].label
        self.text = f"{'Show' if on else 'Hide'} {label}"

    @property
    def changes_anything(self) -> bool:
        return bool((self.new != self.old).any())

    def redo(self, design: Design) -> None:
        self.outline.visible[:] = self.new

    def undo(self, design: Design) -> None:
        self.outline.visible[:] = self.old
