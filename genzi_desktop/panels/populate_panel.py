"""Populate panel: the plan's placements, where to run, and a queue with one row per person.

The panel only edits and shows: it turns its table into a ``PopulatePlan`` (bad text gives
a ``PlanError`` the controller shows) and shows what the controller reports per person.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.populate.plan import Placement, PlanError, PopulatePlan

COLUMNS = ("Name", "Kind", "Prompts (separate with |)", "Count", "Seed", "Where")
QUEUE_COLUMNS = ("Person", "Placement", "Prompt", "Stage", "Time", "Status")
BACKENDS = (("This machine", "local"), ("Ray cluster", "ray"))


def where_text(p: Placement) -> str:
    if p.kind == "point":
        return " ".join(f"{v:g}" for v in p.point) + (f" r {p.radius:g}" if p.radius else "")
    return "; ".join(f"{x:g},{y:g}" for x, y in p.polygon)


def parse_where(kind: str, text: str) -> dict:
    """``x y z [r R]`` for a point, ``x,y; x,y; ...`` for a polygon."""
    try:
        if kind == "point":
            parts = text.replace(",", " ").split()
            radius = 0.0
            if "r" in parts:
                radius = float(parts[parts.index("r") + 1])
                parts = parts[: parts.index("r")]
            return {"point": [float(v) for v in parts], "radius": radius}
        return {"polygon": [[float(v) for v in corner.split(",")] for corner in text.split(";") if corner.strip()]}
    except (ValueError, IndexError) as exc:
        raise PlanError(f"Cannot read the place {text!r}: a point is 'x y z' (optionally 'r 0.5'), a region "
                        "is 'x,y; x,y; x,y'.") from exc


class PopulatePanel(QtWidgets.QWidget):
    populateRequested = QtCore.Signal()
    cancelRequested = QtCore.Signal()
    resumeLocallyRequested = QtCore.Signal()
    #: draw a placement on the floor in the viewport: "region" or "seats"
    drawRequested = QtCore.Signal(str)
    #: (action, person index): action is "cancel", "retry", "accept" or "reject"
    personAction = QtCore.Signal(str, int)
    addPointRequested = QtCore.Signal()
    backendChanged = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.extra = PopulatePlan(placements=[])  # fields the table does not show (painter, model, spacing)
        layout = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        self.name_edit = QtWidgets.QLineEdit("plan", self)
        self.preset_combo = QtWidgets.QComboBox(self)
        self.preset_combo.addItems(["fast", "paper"])
        form.addRow("Plan", self.name_edit)
        form.addRow("Preset", self.preset_combo)
        layout.addLayout(form)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        row = QtWidgets.QHBoxLayout()
        self.add_point_button = QtWidgets.QPushButton("Add at target", self)
        self.add_point_button.setToolTip("A placement at the target point (its region radius spreads the people)")
        self.add_region_button = QtWidgets.QPushButton("Add region", self)
        self.remove_button = QtWidgets.QPushButton("Remove", self)
        for b in (self.add_point_button, self.add_region_button, self.remove_button):
            row.addWidget(b)
        layout.addLayout(row)
        draw_row = QtWidgets.QHBoxLayout()
        self.draw_region_button = QtWidgets.QPushButton("Draw region", self)
        self.draw_region_button.setToolTip("Click corners on the floor in the view; double-click or Enter closes, "
                                           "Backspace removes the last corner, Esc cancels")
        self.draw_seats_button = QtWidgets.QPushButton("Draw seats region", self)
        self.draw_seats_button.setToolTip("Like Draw region; the placement takes every seat inside it")
        for b, kind in ((self.draw_region_button, "region"), (self.draw_seats_button, "seats")):
            b.clicked.connect(lambda _=False, k=kind: self.drawRequested.emit(k))
            draw_row.addWidget(b)
        layout.addLayout(draw_row)
        run_form = QtWidgets.QFormLayout()
        self.backend_combo = QtWidgets.QComboBox(self)
        for label, key in BACKENDS:
            self.backend_combo.addItem(label, key)
        self.address_edit = QtWidgets.QLineEdit("auto", self)
        self.address_edit.setToolTip("ray://HEAD:10001, HEAD:6379 or auto (a cluster this machine is part of)")
        self.workers_spin = QtWidgets.QSpinBox(self)
        self.workers_spin.setRange(0, 1000)
        self.workers_spin.setSpecialValueText("one per GPU")
        run_form.addRow("Run on", self.backend_combo)
        run_form.addRow("Cluster address", self.address_edit)
        run_form.addRow("Workers", self.workers_spin)
        layout.addLayout(run_form)
        buttons = QtWidgets.QHBoxLayout()
        self.populate_button = QtWidgets.QPushButton("Populate", self)
        self.cancel_button = QtWidgets.QPushButton("Cancel all", self)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.populate_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.message = QtWidgets.QLabel("", self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.queue = QtWidgets.QTableWidget(0, len(QUEUE_COLUMNS), self)
        self.queue.setHorizontalHeaderLabels(QUEUE_COLUMNS)
        self.queue.horizontalHeader().setStretchLastSection(True)
        self.queue.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queue.setIconSize(QtCore.QSize(48, 48))
        self.queue.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.queue, 1)
        person_row = QtWidgets.QHBoxLayout()
        self.person_buttons: dict[str, QtWidgets.QPushButton] = {}
        for action, label, tip in (("cancel", "Cancel person", "Stop the selected person; the others go on"),
                                   ("retry", "Retry", "Run the selected person again (failed or cancelled)"),
                                   ("accept", "Accept", "Keep the selected person's body"),
                                   ("reject", "Reject", "Remove the selected person's body from the project and "
                                                        "from populated.glb")):
            button = QtWidgets.QPushButton(label, self)
            button.setToolTip(tip)
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, a=action: self._person_action(a))
            person_row.addWidget(button)
            self.person_buttons[action] = button
        layout.addLayout(person_row)
        self.resume_button = QtWidgets.QPushButton("Resume on this machine", self)
        self.resume_button.setToolTip("Run the people the cluster did not finish here (finished people are kept)")
        self.resume_button.hide()
        self.resume_button.clicked.connect(self.resumeLocallyRequested)
        layout.addWidget(self.resume_button)
        self.queue.itemSelectionChanged.connect(self.update_person_buttons)
        self._running = False
        self.populate_button.clicked.connect(self.populateRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.add_point_button.clicked.connect(self.addPointRequested)
        self.add_region_button.clicked.connect(self._add_region)
        self.remove_button.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        self.backend_combo.currentIndexChanged.connect(self._backend_changed)
        self.address_edit.editingFinished.connect(self.backendChanged)
        self._backend_changed()

    # ---- the plan ------------------------------------------------------------------------
    def add_placement(self, p: Placement) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        values = (p.name, p.kind, " | ".join(p.prompts), "" if p.count is None else str(p.count), str(p.seed), where_text(p))
        for c, text in enumerate(values):
            self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))

    def remove_placement(self, row: int) -> None:
        if 0 <= row < self.table.rowCount():
            self.table.removeRow(row)

    def placement_at(self, r: int) -> Placement:
        """The placement of table row ``r`` (:class:`PlanError` when a cell cannot be read)."""
        cell = [self.table.item(r, c).text().strip() if self.table.item(r, c) else "" for c in range(len(COLUMNS))]
        name, kind, prompts, count, seed, where = cell
        data = {"name": name, "kind": kind, "prompts": [s.strip() for s in prompts.split("|") if s.strip()],
                "count": None if count == "" else count, "seed": seed or 0, **parse_where(kind, where)}
        return Placement.from_dict(data, r)

    def _add_region(self) -> None:
        n = self.table.rowCount() + 1
        self.add_placement(Placement(f"region {n}", "region", ["a person standing"], 2, n,
                                     polygon=[[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]))

    def set_plan(self, plan: PopulatePlan) -> None:
        self.extra = plan
        self.name_edit.setText(plan.name)
        self.preset_combo.setCurrentText(plan.preset)
        self.table.setRowCount(0)
        for p in plan.placements:
            self.add_placement(p)

    def plan(self) -> PopulatePlan:
        """The table as a plan; :class:`PlanError` when a cell cannot be read."""
        placements = [self.placement_at(r) for r in range(self.table.rowCount())]
        return PopulatePlan(placements=placements, preset=self.preset_combo.currentText(), model=self.extra.model,
                            painter=self.extra.painter, min_spacing=self.extra.min_spacing,
                            overrides=dict(self.extra.overrides), name=self.name_edit.text().strip() or "plan")

    # ---- where it runs ---------------------------------------------------------------------
    def backend(self) -> tuple[str, str, int]:
        return self.backend_combo.currentData(), self.address_edit.text().strip(), self.workers_spin.value()

    def set_backend(self, kind: str, address: str) -> None:
        self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(kind)))
        self.address_edit.setText(address or "auto")

    def _backend_changed(self) -> None:
        ray = self.backend_combo.currentData() == "ray"
        self.address_edit.setEnabled(ray)
        self.workers_spin.setEnabled(ray)
        self.backendChanged.emit()

    # ---- the queue -------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self._running = running
        self.populate_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.resume_button.hide()
        self.update_person_buttons()

    def selected_person(self) -> int:
        rows = self.queue.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select_person(self, person: int) -> None:
        self.queue.selectRow(person)

    def update_person_buttons(self) -> None:
        """Each action only where it makes sense for the selected person's status."""
        i = self.selected_person()
        status = self.cell(i, "Status").split(":")[0] if i >= 0 else ""
        finished = status in ("done", "accepted", "rejected")
        allowed = {"cancel": self._running and status in ("", "waiting", "running"),
                   "retry": status in ("failed", "cancelled", "no_body"),
                   "accept": finished and status != "accepted", "reject": finished and status != "rejected"}
        for action, button in self.person_buttons.items():
            button.setEnabled(i >= 0 and allowed[action])

    def _person_action(self, action: str) -> None:
        i = self.selected_person()
        if i >= 0:
            self.personAction.emit(action, i)

    def set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    def show_people(self, people) -> None:
        self.queue.setRowCount(0)
        for p in people:
            r = self.queue.rowCount()
            self.queue.insertRow(r)
            for c, text in enumerate((str(p.index + 1), p.placement, p.prompt, "", "", "waiting")):
                self.queue.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.update_person_buttons()

    def set_cell(self, person: int, column: str, text: str) -> None:
        if 0 <= person < self.queue.rowCount():
            self.queue.item(person, QUEUE_COLUMNS.index(column)).setText(text)
            if column == "Status" and person == self.selected_person():
                self.update_person_buttons()

    def set_thumbnail(self, person: int, image) -> None:
        """The person's latest painted image as the icon of its row (``image``: a QImage)."""
        if 0 <= person < self.queue.rowCount():
            self.queue.item(person, 0).setIcon(QtGui.QIcon(QtGui.QPixmap.fromImage(image)))

    def cell(self, person: int, column: str) -> str:
        if not 0 <= person < self.queue.rowCount():
            return ""
        return self.queue.item(person, QUEUE_COLUMNS.index(column)).text()
