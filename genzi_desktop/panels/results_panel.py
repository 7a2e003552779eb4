"""People and their results: every body with prompt, score, contact and penetration.

Top-level rows are the people of the scene (each with its own target, cameras and prompt);
their children are the bodies generated for them. A body's tick shows or hides it in the
viewport; double-click renames. The panel only shows a ``genzi_desktop.model.project.Project``; the
controller owns the changes.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from genzi_desktop.model.project import Project, ResultEntry
from genzi_desktop.panels.appearance_box import AppearanceBox

ROLE_KIND = QtCore.Qt.ItemDataRole.UserRole + 1  # "person" | "result"
ROLE_PERSON = QtCore.Qt.ItemDataRole.UserRole + 2
ROLE_RESULT = QtCore.Qt.ItemDataRole.UserRole + 3

COLUMNS = ("Name", "Score", "Contact", "Penetration", "Prompt")


def _fmt_score(value) -> str:
    return "" if value is None else f"{float(value):.3f}"


def _fmt_contact(r: ResultEntry) -> str:
    c = r.contact
    return "" if c is None else ("yes" if c else "no")


def _fmt_pen(r: ResultEntry) -> str:
    p = r.penetration
    return "" if p is None else f"{1000 * p:.0f} mm"


class ResultsPanel(QtWidgets.QWidget):
    personActivated = QtCore.Signal(int)
    resultSelected = QtCore.Signal(int, str)  # person, result id ("" = none)
    visibilityChanged = QtCore.Signal(int, str, bool)
    renameRequested = QtCore.Signal(int, str, str)  # person, result id ("" = the person), new name
    deleteRequested = QtCore.Signal(int, str)
    addPersonRequested = QtCore.Signal()
    removePersonRequested = QtCore.Signal(int)
    moreLikeThisRequested = QtCore.Signal(int, str)
    exportRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QtWidgets.QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
                                  | QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.tree.header()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.add_person_button = QtWidgets.QPushButton("Add person", self)
        self.add_person_button.setToolTip("Another person in the scene, with its own target, cameras and prompt")
        self.more_button = QtWidgets.QPushButton("More like this", self)
        self.more_button.setToolTip("Generate again with the selected body's prompt and new seeds")
        self.delete_button = QtWidgets.QPushButton("Delete", self)
        self.export_button = QtWidgets.QPushButton("Export…", self)
        self.export_button.setToolTip("Write the selected or all bodies to OBJ, PLY, GLB or FBX (Ctrl+E)")
        row = QtWidgets.QHBoxLayout()
        for b in (self.add_person_button, self.more_button, self.delete_button, self.export_button):
            row.addWidget(b)
        row.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree, 1)
        self.appearance = AppearanceBox(self)
        layout.addWidget(self.appearance)
        layout.addLayout(row)
        self._filling = False
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.add_person_button.clicked.connect(self.addPersonRequested)
        self.more_button.clicked.connect(self._more)
        self.delete_button.clicked.connect(self._delete)
        self.export_button.clicked.connect(self.exportRequested)
        self._update_buttons()

    # ---- showing -------------------------------------------------------------------------------
    def show_project(self, project: Project, select: tuple[int, str] | None = None) -> None:
        self._filling = True
        try:
            self.tree.clear()
            for pi, person in enumerate(project.people):
                pitem = QtWidgets.QTreeWidgetItem([person.name, "", "", "", person.prompt.prompt])
                pitem.setData(0, ROLE_KIND, "person")
                pitem.setData(0, ROLE_PERSON, pi)
                pitem.setFlags(pitem.flags() | QtCore.Qt.ItemFlag.ItemIsEditable)
                font = pitem.font(0)
                font.setBold(pi == project.active_person)
                pitem.setFont(0, font)
                t = person.target
                pitem.setToolTip(0, "no target yet" if not t else
                                 "target at ({:.2f}, {:.2f}, {:.2f})".format(*t["point"]))
                self.tree.addTopLevelItem(pitem)
                for r in person.results:
                    item = QtWidgets.QTreeWidgetItem([r.name, _fmt_score(r.score), _fmt_contact(r), _fmt_pen(r), r.prompt])
                    item.setData(0, ROLE_KIND, "result")
                    item.setData(0, ROLE_PERSON, pi)
                    item.setData(0, ROLE_RESULT, r.id)
                    item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsEditable | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(0, QtCore.Qt.CheckState.Checked if r.visible else QtCore.Qt.CheckState.Unchecked)
                    pitem.addChild(item)
                    if select == (pi, r.id):
                        self.tree.setCurrentItem(item)
                pitem.setExpanded(True)
                if select == (pi, ""):
                    self.tree.setCurrentItem(pitem)
        finally:
            self._filling = False
        self._update_buttons()

    def result_rows(self) -> list[tuple[int, str, str]]:
        """(person, result id, shown name) of every result row, in order (tests, scripts)."""
        rows = []
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                c = p.child(j)
                rows.append((c.data(0, ROLE_PERSON), c.data(0, ROLE_RESULT), c.text(0)))
        return rows

    def select_result(self, person: int, result_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                c = p.child(j)
                if c.data(0, ROLE_PERSON) == person and c.data(0, ROLE_RESULT) == result_id:
                    self.tree.setCurrentItem(c)
                    return

    def current(self) -> tuple[str, int, str]:
        """(kind, person, result id) of the selected row; ("", -1, "") for none."""
        item = self.tree.currentItem()
        if item is None:
            return "", -1, ""
        return item.data(0, ROLE_KIND), int(item.data(0, ROLE_PERSON)), item.data(0, ROLE_RESULT) or ""

    # ---- reactions ---------------------------------------------------------------------------
    def _item_changed(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        kind, person = item.data(0, ROLE_KIND), int(item.data(0, ROLE_PERSON))
        rid = item.data(0, ROLE_RESULT) or ""
        self.renameRequested.emit(person, rid, item.text(0))
        if kind == "result":
            self.visibilityChanged.emit(person, rid, item.checkState(0) == QtCore.Qt.CheckState.Checked)

    def _current_changed(self, current, _previous) -> None:
        self._update_buttons()
        if self._filling or current is None:
            return
        kind, person, rid = self.current()
        self.personActivated.emit(person)
        self.resultSelected.emit(person, rid if kind == "result" else "")

    def _more(self) -> None:
        kind, person, rid = self.current()
        if kind == "result":
            self.moreLikeThisRequested.emit(person, rid)

    def _delete(self) -> None:
        kind, person, rid = self.current()
        if kind == "result":
            self.deleteRequested.emit(person, rid)
        elif kind == "person":
            self.removePersonRequested.emit(person)

    def _update_buttons(self) -> None:
        kind, _p, _r = self.current()
        self.more_button.setEnabled(kind == "result")
        self.delete_button.setEnabled(kind in ("result", "person") and self.tree.topLevelItemCount() > (0 if kind == "result" else 1))
        self.delete_button.setText("Delete person" if kind == "person" else "Delete")
        self.export_button.setEnabled(any(self.tree.topLevelItem(i).childCount()
                                          for i in range(self.tree.topLevelItemCount())))
