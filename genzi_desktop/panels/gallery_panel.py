"""The gallery: per view, the rendered view and, per hypothesis set, the evolving mask, the
painted image with the detected keypoints, and after fitting the view's learned confidence.

Views and single images can be unticked; "Re-fit" then fits the saved images again without
painting (``refit_from_images``). Images arrive as numpy arrays and become QImages here, in
the GUI thread. Live plots show the fit's loss terms and the views' confidences.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from PySide6 import QtCore, QtWidgets

from genzi_desktop.panels.image_tile import TILE, ImageTile
from genzi_desktop.panels.live_plot import LivePlot

class ViewRow(QtWidgets.QWidget):
    """One view: a tick for the whole view, its render, and one tile per hypothesis set."""

    def __init__(self, view: str, gallery: "GalleryPanel", parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.tiles: dict[int, ImageTile] = {}
        self._gallery = gallery
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.setMinimumHeight(TILE + 46)  # whole tiles: the scroll area scrolls instead of squeezing rows
        head = QtWidgets.QVBoxLayout()
        self.check = QtWidgets.QCheckBox(view, self)
        self.check.setChecked(True)
        self.check.setToolTip("Use this view when fitting")
        self.render_tile = ImageTile(view, -1, self)
        self.render_tile.check.hide()
        head.addWidget(self.check)
        head.addWidget(self.render_tile)
        layout.addLayout(head)
        self.tiles_layout = QtWidgets.QHBoxLayout()
        layout.addLayout(self.tiles_layout)
        layout.addStretch(1)
        self.check.toggled.connect(self._view_toggled)

    def tile(self, sample: int) -> ImageTile:
        if sample not in self.tiles:
            tile = ImageTile(self.view, sample, self)
            tile.check.setChecked(self.check.isChecked())
            tile.toggled.connect(self._gallery.on_tile_toggled)
            self.tiles[sample] = tile
            keys = sorted(self.tiles)
            self.tiles_layout.insertWidget(keys.index(sample), tile)
            self.layout().activate()
        return self.tiles[sample]

    def _view_toggled(self, on: bool) -> None:
        with self._gallery.muted():  # the tiles follow the view: one change, not one per tile
            for tile in self.tiles.values():
                tile.check.setChecked(on)
        self._gallery.on_view_toggled(self.view, on)


class GalleryPanel(QtWidgets.QWidget):
    """Streams a run's images; emits ``refitRequested(excluded)`` for re-fitting and
    ``exclusionsChanged(before, after)`` when the user ticks or unticks (an undo step)."""

    refitRequested = QtCore.Signal(object)  # list of exclusion keys (refit_from_images form)
    exclusionsChanged = QtCore.Signal(object, object)
    importRequested = QtCore.Signal()
    selectionChanged = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, ViewRow] = {}
        self.round = 1
        self.current_set = ""
        self._shown_excluded: list[str] = []  # the exclusions as of the last change
        self._mute = 0
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setMinimumHeight(TILE + 60)  # at least one whole row of images
        self._inner = QtWidgets.QWidget()
        self._rows_layout = QtWidgets.QVBoxLayout(self._inner)
        self._rows_layout.setContentsMargins(2, 2, 2, 2)
        self._rows_layout.addStretch(1)
        scroll.setWidget(self._inner)
        self.empty_label = QtWidgets.QLabel("Generate (Ctrl+G) or import your own images to fill the gallery.", self)
        self.empty_label.setStyleSheet("color: #667;")
        self.loss_plot = LivePlot("fit losses", self, log_scale=True)
        self.conf_plot = LivePlot("view confidence", self, fixed_range=(0.0, 1.0))
        self.refit_button = QtWidgets.QPushButton("Re-fit without painting", self)
        self.refit_button.setToolTip("Fit the saved images again, leaving out the unticked views and images")
        self.refit_button.setEnabled(False)
        self.import_button = QtWidgets.QPushButton("Import my images…", self)
        self.import_button.setToolTip("Use your own painted images (view_00.png, …) for the current cameras")
        buttons = QtWidgets.QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.refit_button)
        buttons.addWidget(self.import_button)
        side = QtWidgets.QVBoxLayout()  # plots and buttons beside the images, so rows get the height
        side.addWidget(self.loss_plot, 1)
        side.addWidget(self.conf_plot, 1)
        side.addLayout(buttons)
        side_widget = QtWidgets.QWidget(self)
        side_widget.setLayout(side)
        side_widget.setFixedWidth(330)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.empty_label)
        left.addWidget(scroll, 1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(left, 1)
        layout.addWidget(side_widget)
        self.refit_button.clicked.connect(self._refit_clicked)
        self.import_button.clicked.connect(self.importRequested)

    # ---- building ---------------------------------------------------------------------------
    def clear(self) -> None:
        for row in self.rows.values():
            row.setParent(None)
            row.deleteLater()
        self.rows.clear()
        self._fit_rows()
        self.loss_plot.clear()
        self.conf_plot.clear()
        self.empty_label.show()
        self.refit_button.setEnabled(False)
        self._shown_excluded = []

    def row(self, view: str) -> ViewRow:
        if view not in self.rows:
            row = ViewRow(view, self, self._inner)
            self.rows[view] = row
            names = sorted(self.rows)
            self._rows_layout.insertWidget(names.index(view), row)
            self._fit_rows()
            self.empty_label.hide()
        return self.rows[view]

    def _fit_rows(self) -> None:
        """Room for every row at full height (the scroll area would otherwise squeeze them)."""
        row_height = TILE + 46 + self._rows_layout.spacing()
        self._inner.setMinimumHeight(len(self.rows) * row_height + 8)

    # ---- slots fed by the generation worker (GUI thread) ------------------------------------------
    @QtCore.Slot(str, object)
    def on_view_rendered(self, view: str, image) -> None:
        self.row(view).render_tile.set_image(image, painted=True)

    @QtCore.Slot(str, int, int, int, object, object, int)
    def on_inpaint_step(self, view, sample, step, total, mask, preview, round_index) -> None:
        tile = self.row(view).tile(sample)
        tile.step_text = f"{step + 1}/{total}"
        if preview is not None:
            tile.set_image(preview, painted=False)
        elif tile.image is None and self.rows[view].render_tile.image is not None:
            tile.image = self.rows[view].render_tile.image
        if mask is not None:
            tile.set_mask(mask)
        tile.update()

    @QtCore.Slot(str, int, object, object, int)
    def on_inpaint_done(self, view, sample, image, mask, round_index) -> None:
        self.round = max(1, int(round_index) or 1)
        tile = self.row(view).tile(sample)
        tile.set_image(image, painted=True)
        if mask is not None:
            tile.set_mask(mask)

    @QtCore.Slot(str, int, object, bool, str, int)
    def on_keypoints(self, view, sample, keypoints, valid, reason, round_index) -> None:
        self.row(view).tile(sample).set_keypoints(keypoints, valid, reason)

    @QtCore.Slot(str, int, int, object, object, object, object, int)
    def on_lifting_step(self, set_name, iteration, total, vertices, faces, weights, losses, round_index) -> None:
        if set_name != self.current_set:
            self.current_set = set_name
            self.loss_plot.clear()
            self.conf_plot.clear()
        self.loss_plot.title = f"fit losses ({set_name}, {iteration + 1}/{total})"
        self.loss_plot.append(losses or {})
        self.conf_plot.append(weights or {})
        self.set_confidences(set_name, weights or {})

    def set_confidences(self, set_name: str, weights: dict) -> None:
        sample = _set_index(set_name)
        if sample is None:
            return
        for view, w in weights.items():
            if view in self.rows:
                self.rows[view].tile(sample).set_confidence(float(w))

    def fitting_finished(self) -> None:
        self.refit_button.setEnabled(bool(self.rows))

    # ---- human in the loop --------------------------------------------------------------------
    @QtCore.Slot(str, int, bool)
    def on_tile_toggled(self, view: str, sample: int, on: bool) -> None:
        self._ticks_changed()

    def on_view_toggled(self, view: str, on: bool) -> None:
        self._ticks_changed()

    @contextmanager
    def muted(self):
        """Ticks set inside are not the user's changes (a view's tiles, restoring a state)."""
        self._mute += 1
        try:
            yield
        finally:
            self._mute -= 1

    def _ticks_changed(self) -> None:
        if self._mute:
            return
        before, after = self._shown_excluded, self.excluded()
        if after != before:
            self._shown_excluded = after
            self.exclusionsChanged.emit(before, after)
        self.selectionChanged.emit()

    def excluded(self) -> list[str]:
        """Left-out images in ``refit_from_images`` form: ``*/*/view`` for whole views,
        ``round_R/images/set_K/view.png`` for single images."""
        out = []
        for view, row in sorted(self.rows.items()):
            if not row.check.isChecked():
                out.append(f"*/*/{view}")
                continue
            for sample, tile in sorted(row.tiles.items()):
                if not tile.included:
                    out.append(f"round_{self.round}/images/set_{sample}/{view}.png")
        return out

    def set_excluded(self, keys: list[str]) -> None:
        """Show exactly the exclusions ``keys`` (opening a project, undo); not a user's change."""
        with self.muted():
            self._set_ticks(keys)
        self._shown_excluded = self.excluded()

    def _set_ticks(self, keys: list[str]) -> None:
        for row in self.rows.values():
            row.check.setChecked(True)
            for tile in row.tiles.values():
                tile.check.setChecked(True)
        for key in keys:
            parts = key.replace(".png", "").split("/")
            view = parts[-1]
            row = self.rows.get(view)
            if row is None:
                continue
            if parts[0] == "*" and parts[1] == "*":
                row.check.setChecked(False)
            else:
                sample = _set_index(parts[-2])
                if sample is not None and sample in row.tiles:
                    row.tiles[sample].check.setChecked(False)

    def _refit_clicked(self) -> None:
        self.refitRequested.emit(self.excluded())

    # ---- loading a finished run (project open) -------------------------------------------------
    def load_run(self, run_dir) -> int:
        """Fill the gallery from a run folder on disk; returns the number of images shown."""
        import json
        from pathlib import Path

        from PIL import Image

        run_dir = Path(run_dir)
        count = 0
        views_dir = run_dir / "views"
        for png in sorted(views_dir.glob("view_*.png")):
            self.on_view_rendered(png.stem, np.asarray(Image.open(png).convert("RGB")))
        for round_dir in sorted(run_dir.glob("round_*")):
            r = int(round_dir.name.split("_")[1])
            for set_dir in sorted((round_dir / "images").glob("set_*")):
                sample = _set_index(set_dir.name)
                for png in sorted(set_dir.glob("view_*.png")):
                    mask_path = round_dir / "masks" / set_dir.name / png.name
                    mask = np.asarray(Image.open(mask_path).convert("L")) if mask_path.exists() else None
                    self.on_inpaint_done(png.stem, sample, np.asarray(Image.open(png).convert("RGB")), mask, r)
                    count += 1
                kp_path = round_dir / "keypoints" / f"{set_dir.name}.json"
                if kp_path.exists():
                    for view, rec in json.loads(kp_path.read_text())["views"].items():
                        kp = rec.get("keypoints")
                        arr = None if kp is None else np.array([[np.nan if v is None else v for v in row] for row in kp], float)
                        if view in self.rows:
                            self.on_keypoints(view, sample, arr, bool(rec.get("valid")), rec.get("reason", ""), r)
                fit_path = round_dir / "fits" / f"{set_dir.name}.json"
                if fit_path.exists():
                    fit = json.loads(fit_path.read_text())
                    self.set_confidences(set_dir.name, fit.get("view_weights", {}))
        if count:
            self.refit_button.setEnabled(True)
        return count


def _set_index(name: str) -> int | None:
    try:
        return int(str(name).rsplit("/", 1)[-1].split("_")[1])
    except (IndexError, ValueError):
        return None
