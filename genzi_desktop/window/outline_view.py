"""The Outline dock in the main window: rows to viewport (visibility, highlight) and viewport
clicks back to rows. The model is ``pipeline.scene.outline.Outline``, one per loaded scene."""

from __future__ import annotations

from PySide6 import QtCore

from genzi_desktop.panels.outline_panel import OutlinePanel
from pipeline.scene.outline import Outline


class OutlineView:
    """Main-window part: builds the Outline dock and keeps it and the viewport in step."""

    outline: Outline | None = None

    def build_outline_dock(self) -> None:
        self.outline_panel = OutlinePanel(self)
        self.add_dock("Outline", self.outline_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.outline_panel.visibilityChanged.connect(self.on_outline_visibility)
        self.outline_panel.rowSelected.connect(self.on_outline_row)

    def show_outline_of(self, scene) -> None:
        """A new scene: a new outline, everything shown except what the file hides by default."""
        self.outline = Outline(scene) if scene is not None else None
        self.outline_panel.set_outline(self.outline)

    @QtCore.Slot()
    def on_outline_visibility(self) -> None:
        outline = self.outline
        if outline is None:
            return
        self.viewport.outline_layer.show(outline.visible[: outline.surface_count], outline.shown_extras())

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
