"""Outline dock: the design's elements as a tree (storeys, layers, nodes), a visibility check
box per row, and the row of whatever is selected here or clicked in the viewport.

A view of ``pipeline.scene.outline.Outline``: a click on a check box asks for the change
(``visibilityRequested``), the window makes it an undoable edit, and the model decides what it
means for the rows under and above; this widget only mirrors it.

With the app's settings it keeps the filter text and, per scene file, the rows the user left
open, so a restart shows the outline as it was left.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from genzi_desktop.model.outline_state import row_paths
from pipeline.scene.outline import OFF, ON, Outline

NODE_ROLE = QtCore.Qt.ItemDataRole.UserRole
_CHECK = {ON: QtCore.Qt.CheckState.Checked, OFF: QtCore.Qt.CheckState.Unchecked,
          "partial": QtCore.Qt.CheckState.PartiallyChecked}


def _swatch(rgb) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(12, 12)
    pixmap.fill(QtGui.QColor.fromRgbF(*[min(max(float(c), 0.0), 1.0) for c in rgb[:3]]))
    return QtGui.QIcon(pixmap)


class OutlinePanel(QtWidgets.QWidget):
    """Tree of the scene's elements with visibility check boxes."""

    #: the user checked or unchecked a row: its node id, shown or not
    visibilityRequested = QtCore.Signal(int, bool)
    #: the user selected a row: its node id (-1: nothing)
    rowSelected = QtCore.Signal(int)

    def __init__(self, parent=None, settings=None) -> None:
        super().__init__(parent)
        self.outline: Outline | None = None
        self.settings = settings  # AppSettings, or None: nothing remembered
        self._items: list[QtWidgets.QTreeWidgetItem] = []
        self._paths: list[tuple[str, ...]] = []  # each row's stable path, the key of the open rows
        self._open: set[tuple[str, ...]] = set()  # rows open as the user left them
        self._source = None  # the scene file the open rows are remembered for
        self._quiet = False
        self._auto = False  # rows opened by the panel itself (defaults, filter): not remembered
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.filter = QtWidgets.QLineEdit(self)
        self.filter.setObjectName("outline-filter")
        self.filter.setPlaceholderText("Filter elements by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        layout.addWidget(self.filter)
        self.tree = QtWidgets.QTreeWidget(self)
        self.tree.setObjectName("outline-tree")
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemExpanded.connect(lambda item: self._opened(item, True))
        self.tree.itemCollapsed.connect(lambda item: self._opened(item, False))
        layout.addWidget(self.tree)
        self.summary = QtWidgets.QLabel("No scene", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        if settings is not None:
            self.filter.setText(settings.outline_filter())
            self.filter.textChanged.connect(settings.set_outline_filter)

    # ---- filling -------------------------------------------------------------------
    def set_outline(self, outline: Outline | None, source=None) -> None:
        """Show ``outline``; ``source`` (its scene file) opens the rows the user left open there."""
        self.outline, self._source = outline, source
        self._quiet = self._auto = True
        self.tree.clear()
        self._items = []
        if outline is not None:
            self._items = [QtWidgets.QTreeWidgetItem() for _ in outline.nodes]
            for node, item in zip(outline.nodes, self._items):
                item.setText(0, node.label)
                item.setToolTip(0, " > ".join(outline.path_labels(node.node_id)))
                item.setData(0, NODE_ROLE, node.node_id)
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                if node.colour is not None:
                    item.setIcon(0, _swatch(node.colour))
                if node.parent >= 0:
                    self._items[node.parent].addChild(item)
            self.tree.addTopLevelItems([self._items[r] for r in outline.roots])
            for root in outline.roots:  # open the top levels (storeys, layers), not every element
                self._items[root].setExpanded(len(outline.roots) <= 12)
            self._restore_open()
            hidden = sum(1 for n in outline.nodes if not n.children and n.hidden_by_default)
            elements = sum(1 for n in outline.nodes if not n.children)
            self.summary.setText(f"{elements:,} element{'s' if elements != 1 else ''}" + (f", {hidden:,} hidden by default (spaces, openings)"
                                                             if hidden else ""))
        else:
            self.summary.setText("No scene")
        self._quiet = False
        self.refresh_checks()
        self._apply_filter(self.filter.text())
        self._auto = False

    def _restore_open(self) -> None:
        """Open exactly the rows remembered for this scene file (the defaults before any)."""
        self._paths = row_paths(self.outline)
        remembered = (self.settings.outline_expanded(self._source)
                      if self.settings is not None and self._source is not None else None)
        if remembered is not None:
            wanted = set(remembered)
            for node, item in zip(self.outline.nodes, self._items):
                if node.children:
                    item.setExpanded(self._paths[node.node_id] in wanted)
        self._open = {self._paths[i] for i, item in enumerate(self._items) if item.isExpanded()}

    def refresh_checks(self) -> None:
        """Mirror the model's visibility in the check boxes."""
        if self.outline is None:
            return
        self._quiet = True
        for node, item in zip(self.outline.nodes, self._items):
            item.setCheckState(0, _CHECK[self.outline.state(node.node_id)])
        self._quiet = False

    # ---- user ----------------------------------------------------------------------
    @QtCore.Slot(QtWidgets.QTreeWidgetItem, int)
    def _item_changed(self, item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        if self._quiet or self.outline is None:
            return
        node_id = int(item.data(0, NODE_ROLE))
        on = item.checkState(0) != QtCore.Qt.CheckState.Unchecked
        self.refresh_checks()  # back to the model's state until the request is carried out
        self.visibilityRequested.emit(node_id, on)

    def set_row_visible(self, node_id: int, on: bool) -> None:
        """What a click on the row's check box does (for scripts and tests)."""
        self._items[node_id].setCheckState(0, QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked)

    def _opened(self, item: QtWidgets.QTreeWidgetItem, on: bool) -> None:
        """The user opened or closed a row: remember it for this scene file."""
        if self._auto or self.settings is None or self._source is None or not self._paths:
            return
        path = self._paths[int(item.data(0, NODE_ROLE))]
        (self._open.add if on else self._open.discard)(path)
        self.settings.set_outline_expanded(self._source, self._open)

    @QtCore.Slot()
    def _selection_changed(self) -> None:
        if self._quiet:
            return
        items = self.tree.selectedItems()
        self.rowSelected.emit(int(items[0].data(0, NODE_ROLE)) if items else -1)

    def select_node(self, node_id: int) -> None:
        """Select and reveal the row (a click in the viewport); emits ``rowSelected``."""
        if not 0 <= node_id < len(self._items):
            self.tree.clearSelection()
            return
        item = self._items[node_id]
        item.setHidden(False)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def selected_node(self) -> int:
        items = self.tree.selectedItems()
        return int(items[0].data(0, NODE_ROLE)) if items else -1

    @QtCore.Slot(str)
    def _apply_filter(self, text: str) -> None:
        """Show rows whose name holds ``text``, with their groups and everything inside them."""
        if self.outline is None:
            return
        auto, self._auto = self._auto, True  # rows opened to show matches are not the user's
        needle = text.strip().lower()
        nodes = self.outline.nodes
        match = [not needle or needle in n.label.lower() for n in nodes]
        inside = [False] * len(nodes)
        for n in nodes:  # parents come before their children
            inside[n.node_id] = n.parent >= 0 and (match[n.parent] or inside[n.parent])
        holds = [False] * len(nodes)
        for n in reversed(nodes):
            holds[n.node_id] = any(match[c] or holds[c] for c in n.children)
        for n, item in zip(nodes, self._items):
            item.setHidden(not (match[n.node_id] or inside[n.node_id] or holds[n.node_id]))
            if needle and holds[n.node_id]:
                item.setExpanded(True)
        self._auto = auto
