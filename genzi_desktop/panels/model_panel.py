"""The model panel: which inpainting model, device and precision, which body model and shape.

SMPL-X ``.pkl`` files are Python pickles, which can run code when opened; before one is used
the user is asked, naming the file, and the answer is remembered by the file's content hash in
a per-user consent store (never in QSettings or a project, which are data that can be shared).
Everything else is remembered in QSettings (``model/...``).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from pipeline.body.smplx_body import model_file_sha256, resolve_model_file
from pipeline.generation.config import DEFAULT_MODEL

from genzi_desktop.model.pickle_consent import PickleConsentStore
from genzi_desktop.panels.widgets import ask_inpaint_model_file, ask_inpaint_model_folder

PICKLE_WARNING = (
    "This SMPL-X model is a Python pickle (.pkl). Opening a pickle can run any code its author put "
    "in it, so only use a file you downloaded yourself from the official SMPL-X site.\n\n"
    "Prefer the .npz version of the model (same content, no code). Use this .pkl file anyway?"
)

SHAPE_DEFAULTS = {"gender": 0.5, "age": 0.5, "height": 0.5, "weight": 0.5}


class ModelPanel(QtWidgets.QWidget):
    """Inpainting model (hub id, folder or file), device, precision, body model and shape."""

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, qsettings: QtCore.QSettings | None = None,
                 consent_store: PickleConsentStore | None = None) -> None:
        super().__init__(parent)
        self.qs = qsettings
        self.consent_store = consent_store
        #: Hook for tests: (path) -> bool, asked before a pickle is used.
        self.confirm_pickle = self._ask_pickle
        form = QtWidgets.QFormLayout(self)
        self.model_edit = QtWidgets.QLineEdit(self)
        self.model_edit.setPlaceholderText(DEFAULT_MODEL)
        self.model_edit.setToolTip("A Hugging Face model id, a local diffusers folder, or a .safetensors/.ckpt file")
        folder_btn = QtWidgets.QToolButton(self)
        folder_btn.setText("Folder…")
        file_btn = QtWidgets.QToolButton(self)
        file_btn.setText("File…")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.model_edit, 1)
        row.addWidget(folder_btn)
        row.addWidget(file_btn)
        form.addRow("Inpainting model", row)
        self.device_combo = QtWidgets.QComboBox(self)
        for d in ("auto", "cuda", "mps", "cpu"):
            self.device_combo.addItem(d, d)
        self.dtype_combo = QtWidgets.QComboBox(self)
        for d, label in (("auto", "auto (half on GPU)"), ("float16", "float16"), ("bfloat16", "bfloat16"), ("float32", "float32")):
            self.dtype_combo.addItem(label, d)
        form.addRow("Device", self.device_combo)
        form.addRow("Precision", self.dtype_combo)
        self.body_combo = QtWidgets.QComboBox(self)
        self.body_combo.addItem("Anny (built in, CC0)", "anny")
        self.body_combo.addItem("SMPL-X (your model files)", "smplx")
        self.smplx_edit = QtWidgets.QLineEdit(self)
        self.smplx_edit.setPlaceholderText("folder with SMPLX_NEUTRAL.npz, or the .npz/.pkl file")
        smplx_btn = QtWidgets.QToolButton(self)
        smplx_btn.setText("…")
        srow = QtWidgets.QHBoxLayout()
        srow.addWidget(self.smplx_edit, 1)
        srow.addWidget(smplx_btn)
        form.addRow("Body model", self.body_combo)
        form.addRow("SMPL-X model", srow)
        self.shape_box = QtWidgets.QGroupBox("Fix the body shape", self)
        self.shape_box.setCheckable(True)
        self.shape_box.setChecked(False)
        self.shape_box.setToolTip("Hold these body-shape values fixed while fitting (Anny phenotypes, 0..1)")
        sform = QtWidgets.QFormLayout(self.shape_box)
        self.shape_sliders: dict[str, QtWidgets.QDoubleSpinBox] = {}
        for key, label in (("gender", "Gender (0 female … 1 male)"), ("age", "Age (0 baby … 1 old)"),
                           ("height", "Height"), ("weight", "Weight")):
            spin = QtWidgets.QDoubleSpinBox(self)
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(SHAPE_DEFAULTS[key])
            self.shape_sliders[key] = spin
            sform.addRow(label, spin)
            spin.valueChanged.connect(self._changed)
        form.addRow(self.shape_box)

        folder_btn.clicked.connect(self._choose_model_folder)
        file_btn.clicked.connect(self._choose_model_file)
        smplx_btn.clicked.connect(self._choose_smplx)
        self.model_edit.editingFinished.connect(self._changed)
        self.smplx_edit.editingFinished.connect(self._smplx_edited)
        for w in (self.device_combo, self.dtype_combo, self.body_combo):
            w.currentIndexChanged.connect(self._changed)
        self.shape_box.toggled.connect(self._changed)
        self._loading = False
        self.restore()

    # ---- values ---------------------------------------------------------------------------
    def values(self) -> dict:
        return {
            "model": self.model_edit.text().strip() or DEFAULT_MODEL,
            "device": self.device_combo.currentData(),
            "dtype": self.dtype_combo.currentData(),
            "body_model": self.body_combo.currentData(),
            "smplx_path": self.smplx_edit.text().strip(),
            "fixed_shape": ({k: round(s.value(), 4) for k, s in self.shape_sliders.items()}
                            if self.shape_box.isChecked() else None),
        }

    def set_values(self, v: dict) -> None:
        self._loading = True
        try:
            model = v.get("model") or ""
            self.model_edit.setText("" if model == DEFAULT_MODEL else model)
            for combo, key, default in ((self.device_combo, "device", "auto"), (self.dtype_combo, "dtype", "auto"),
                                        (self.body_combo, "body_model", "anny")):
                combo.setCurrentIndex(max(0, combo.findData(v.get(key) or default)))
            self.smplx_edit.setText(v.get("smplx_path") or "")
            shape = v.get("fixed_shape")
            self.shape_box.setChecked(bool(shape))
            for k, s in self.shape_sliders.items():
                s.setValue(float((shape or SHAPE_DEFAULTS).get(k, SHAPE_DEFAULTS[k])))
        finally:
            self._loading = False
        self._changed()

    def body_model_spec(self) -> str:
        """What ``GenerationRequest.body_model`` gets: "anny", or "smplx" (path given separately)."""
        return self.values()["body_model"]

    def set_model(self, model: str) -> None:
        self.model_edit.setText(model)
        self._changed()

    # ---- choosing files -----------------------------------------------------------------------
    def _choose_model_folder(self) -> None:
        folder = ask_inpaint_model_folder(self)
        if folder:
            self.set_model(folder)

    def _choose_model_file(self) -> None:
        path = ask_inpaint_model_file(self)
        if path:
            self.set_model(path)

    def _choose_smplx(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "SMPL-X model", "", "SMPL-X model (*.npz *.pkl)")
        if path:
            self.set_smplx_path(path)

    def set_smplx_path(self, path: str) -> bool:
        """Use ``path`` as the SMPL-X model; an existing pickle is asked about now. Returns whether accepted."""
        if path and Path(path).suffix.lower() == ".pkl" and Path(path).is_file():
            if self.pickle_consent(path) is None:
                self.smplx_edit.setText("")
                self._changed()
                return False
        self.smplx_edit.setText(path)
        if path:
            self.body_combo.setCurrentIndex(self.body_combo.findData("smplx"))
        self._changed()
        return True

    def pickle_consent(self, path: str) -> frozenset[str] | None:
        """The SHA-256s the pipeline may unpickle for the model at ``path``: empty for a non-pickle,
        the file's hash once the user agreed (now or before, to these exact bytes), None if not."""
        file = resolve_model_file(path)
        if file.suffix.lower() != ".pkl":
            return frozenset()
        sha = model_file_sha256(file)
        if self.consent_store is not None and self.consent_store.trusts(sha):
            return frozenset({sha})
        if not self.confirm_pickle(str(file)):
            return None
        if self.consent_store is not None:
            self.consent_store.remember(sha)
        return frozenset({sha})

    def _smplx_edited(self) -> None:
        text = self.smplx_edit.text().strip()
        if text.lower().endswith(".pkl"):
            self.set_smplx_path(text)
        else:
            self._changed()

    def _ask_pickle(self, path: str) -> bool:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Open a pickle file?", PICKLE_WARNING,
                                    QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
                                    self)
        box.setInformativeText(path)
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.No)
        return box.exec() == QtWidgets.QMessageBox.StandardButton.Yes

    # ---- remembering ------------------------------------------------------------------------
    def restore(self) -> None:
        raw = self.qs.value("model/values", "", type=str) if self.qs is not None else ""
        try:
            values = json.loads(raw) if raw else {}
        except ValueError:
            values = {}
        self.set_values(values)

    def _changed(self, *_args) -> None:
        self.shape_box.setEnabled(self.body_combo.currentData() == "anny")  # the shape values are Anny's
        if self._loading:
            return
        if self.qs is not None:
            self.qs.setValue("model/values", json.dumps(self.values()))
        self.changed.emit()
