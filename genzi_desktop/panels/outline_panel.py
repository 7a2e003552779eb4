"""Outline dock: the design's elements as a tree (storeys, layers, nodes), a visibility check
box per row, and the row of whatever is selected here or clicked in the viewport.

A view of ``pipeline.scene.outline.Outline``: a click on a check box asks for the change
(``visibilityRequested``), the window makes it an undoable edit, and the model decides what it
means for the rows under and above; this widget only mirrors it.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

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

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.outline: Outline | None = None
        self._items: list[QtWidgets.QTreeWidgetItem] = []
        self._quiet = False
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
        layout.addWidget(self.tree)
        self.summary = QtWidgets.QLabel("No scene", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

    # ---- filling -------------------------------------------------------------------
    def set_outline(self, outline: Outline | None) -> None:
        self.outline = outline
        self._quiet = True
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
            hidden = sum(1 for n in outline.nodes if not n.children and n.hidden_by_default)
            elements = sum(1 for n in outline.nodes if not n.children)
            self.summary.setText(f"{elements:,} element{'s' if elements != 1 else ''}" + (f", {hidden:,} hidden by default (spaces, openings)"
                                                             if hidden else ""))
        else:
            self.summary.setText("No scene")
        self._quiet = False
        self.refresh_checks()
        self._apply_filter(self.filter.text())

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
