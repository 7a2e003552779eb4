"""The Outline dock in the main window: rows to viewport (visibility, highlight) and viewport
clicks back to rows. The model is ``pipeline.scene.outline.Outline``, one per loaded scene;
hiding and showing are undoable edits, and a project keeps them by element path
(``genzi_desktop.model.outline_state``)."""

from __future__ import annotations

from PySide6 import QtCore

from genzi_desktop.model.edits import SetVisibility
from genzi_desktop.model.outline_state import apply_visibility, visibility_changes
from genzi_desktop.panels.outline_panel import OutlinePanel
from pipeline.scene.outline import Outline


class OutlineView:
    """Main-window part: builds the Outline dock and keeps it and the viewport in step."""

    outline: Outline | None = None
    _outline_changes_cache: tuple | None = None  # (outline, its visibility, its changes)

    def build_outline_dock(self) -> None:
        self.outline_panel = OutlinePanel(self, self.settings)  # remembers its filter and open rows
        self.add_dock("Outline", self.outline_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.outline_panel.visibilityRequested.connect(self.set_outline_visible)
        self.outline_panel.rowSelected.connect(self.on_outline_row)

    def show_outline_of(self, scene, changes: dict | None = None) -> None:
        """A new scene: a new outline, everything shown except what the file hides by default,
        then the hidden/shown rows of ``changes`` (see :meth:`outline_changes`)."""
        self.outline = Outline(scene) if scene is not None else None
        self.outline_panel.set_outline(self.outline, self.scene_path)
        if changes:
            self.restore_outline(changes)

    @QtCore.Slot(int, bool)
    def set_outline_visible(self, node_id: int, on: bool) -> None:
        """Show or hide a row and everything under it, as one undo step."""
        if self.outline is None:
            return
        edit = SetVisibility(self.outline, node_id, on)
        if edit.changes_anything:
            self.apply_edit(edit)

    def outline_changed(self) -> None:
        """The outline's visibility changed: the check boxes and the viewport follow."""
        outline = self.outline
        if outline is None:
            return
        self.outline_panel.refresh_checks()
        self.viewport.outline_layer.show(outline.visible[: outline.surface_count], outline.shown_extras())

    def outline_changes(self) -> dict:
        """The rows hidden or shown against the file's defaults, by path (what a project keeps)."""
        if self.outline is None:
            return {}
        shown = self.outline.visible.tobytes()
        cached = self._outline_changes_cache  # autosave asks every half minute
        if cached is None or cached[0] is not self.outline or cached[1] != shown:
            cached = self._outline_changes_cache = (self.outline, shown, visibility_changes(self.outline))
        return cached[2]

    def restore_outline(self, changes: dict | None) -> list[str]:
        """Show the outline as ``changes`` say (not an undo step: it is how the file was left);
        returns the rows not found, which the status bar names."""
        if self.outline is None:
            return []
        missing = apply_visibility(self.outline, changes)
        self.outline_changed()
        if missing:
            self.statusBar().showMessage(
                f"{len(missing)} hidden or shown part{'s' if len(missing) != 1 else ''} of the project are no "
                f"longer in the scene (first: {missing[0]}); they are shown as the file says.", 10000)
        return missing

    @QtCore.Slot(int)
    def on_outline_row(self, node_id: int) -> None:
        outline = self.outline
        if outline is None:
            return
        parts = outline.nodes[node_id].parts if node_id >= 0 else ()
        self.viewport.outline_layer.select(parts)
        if node_id >= 0:
            self.statusBar().showMessage(" > ".join(outline.path_labels(node_id)), 8000)

    def hidden_surfaces(self):
        """Scene parts the user hid: a click passes through them."""
        return self.outline.hidden_surfaces() if self.outline is not None else None

    def select_part_row(self, part: int) -> None:
        """A click in the viewport landed on ``part``: select its row (and highlight it)."""
        if self.outline is not None:
            self.outline_panel.select_node(self.outline.node_of_part(part))
