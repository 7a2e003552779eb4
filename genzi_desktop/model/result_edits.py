"""Undoable edits of the kept results in the Results panel (delete, rename, show/hide) and of
the gallery images a person's fit leaves out. Qt-free;
``genzi_desktop.window.undo.ModelCommand`` puts them on the window's undo stack.

They hold the person and result objects, not row numbers, so an undo finds them wherever the
list has moved them; a deleted result's mesh stays in the project folder until the project is
closed, so undoing a delete brings the body back whole.
"""

from __future__ import annotations

from genzi_desktop.model.project import Person, ResultEntry


class DeleteResult:
    def __init__(self, person: Person, result: ResultEntry) -> None:
        self.person, self.result = person, result
        self.index = next(i for i, r in enumerate(person.results) if r is result)
        self.text = f"Delete {result.name}"

    def redo(self) -> None:
        self.person.results[:] = [r for r in self.person.results if r is not self.result]

    def undo(self) -> None:
        self.person.results.insert(min(self.index, len(self.person.results)), self.result)


class Rename:
    """Rename a person or a result (anything with a ``name``)."""

    def __init__(self, owner: Person | ResultEntry, name: str) -> None:
        self.owner, self.old, self.new = owner, owner.name, name
        self.text = f"Rename {self.old} to {name}"

    def redo(self) -> None:
        self.owner.name = self.new

    def undo(self) -> None:
        self.owner.name = self.old


class SetResultVisible:
    def __init__(self, result: ResultEntry, visible: bool) -> None:
        self.result, self.old, self.new = result, result.visible, bool(visible)
        self.text = f"{'Show' if visible else 'Hide'} {result.name}"

    def redo(self) -> None:
        self.result.visible = self.new

    def undo(self) -> None:
        self.result.visible = self.old


class SetExcludedImages:
    """Tick or untick views and images in the gallery: what a re-fit of the person leaves out
    (exclusion keys as ``GalleryPanel.excluded`` writes them)."""

    def __init__(self, person: Person, old: list[str], new: list[str]) -> None:
        self.person, self.old, self.new = person, list(old), list(new)
        added = set(new) - set(old)
        views = {k.rsplit("/", 1)[-1].removesuffix(".png") for k in (added or set(old) - set(new))}
        what = views.pop() if len(views) == 1 else "images"
        self.text = f"{'Leave out' if added else 'Use'} {what}"

    def redo(self) -> None:
        self.person.excluded_images = list(self.new)

    def undo(self) -> None:
        self.person.excluded_images = list(self.old)
