"""The prompt panel: what to paint (prompt, negative prompt, subject word, seed, results, preset).

Values are remembered in QSettings (``prompt/...``) and read/written as a
``genzi_desktop.model.project.PromptSettings`` so a project stores exactly what the panel shows.
"""

from __future__ import annotations

import json

from PySide6 import QtCore, QtWidgets

from genzi_desktop.model.project import PromptSettings
from pipeline.generation.settings import PRESET_NAMES, resolve_path

# the Advanced box's spin boxes and the settings-tree path each one sets
ADVANCED_SPINS = ("views.num_views", "inpaint.steps", "views.image_size", "lifting.fit_iterations")

PRESET_TIPS = {
    "fast": "Quick first look: 8 views, 2 inpaintings per view, 25 steps, 1 round.",
    "paper": "The paper's settings: 16 views, 4 then 2 inpaintings per view, 50 steps, 2 rounds (slow without a GPU).",
}


class PromptPanel(QtWidgets.QWidget):
    """Prompt, negative prompt, subject word, seed, number of results, preset and advanced settings."""

    generateRequested = QtCore.Signal()
    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, qsettings: QtCore.QSettings | None = None) -> None:
        super().__init__(parent)
        self.qs = qsettings
        form = QtWidgets.QFormLayout()
        self.prompt_edit = QtWidgets.QPlainTextEdit(self)
        self.prompt_edit.setPlaceholderText("a man sitting on the sofa, reading a book")
        self.prompt_edit.setMaximumHeight(64)
        self.prompt_edit.setTabChangesFocus(True)
        self.negative_edit = QtWidgets.QLineEdit(self)
        self.negative_edit.setPlaceholderText("(default list: blurry, bad anatomy, extra limbs …)")
        self.subject_edit = QtWidgets.QLineEdit(self)
        self.subject_edit.setPlaceholderText("found in the prompt (man, woman, person …)")
        self.subject_edit.setToolTip("The word that names the person; its attention map becomes the painting mask.")
        self.seed_spin = QtWidgets.QSpinBox(self)
        self.seed_spin.setRange(0, 2**31 - 1)
        self.random_seed = QtWidgets.QToolButton(self)
        self.random_seed.setText("New")
        self.random_seed.setToolTip("A new random seed")
        seed_row = QtWidgets.QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.random_seed)
        self.results_spin = QtWidgets.QSpinBox(self)
        self.results_spin.setRange(1, 16)
        self.results_spin.setToolTip("Hypothesis sets painted in round 1 (one body each)")
        self.preset_combo = QtWidgets.QComboBox(self)
        for name in PRESET_NAMES:
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESET_TIPS[name], QtCore.Qt.ItemDataRole.ToolTipRole)
        form.addRow("Prompt", self.prompt_edit)
        form.addRow("Negative", self.negative_edit)
        form.addRow("Subject word", self.subject_edit)
        form.addRow("Seed", seed_row)
        form.addRow("Results", self.results_spin)
        form.addRow("Preset", self.preset_combo)

        self.advanced_box = QtWidgets.QGroupBox("Advanced settings", self)
        self.advanced_box.setCheckable(True)
        self.advanced_box.setChecked(False)
        adv = QtWidgets.QFormLayout(self.advanced_box)
        self.views_spin = _optional_spin(1, 32, "preset")
        self.steps_spin = _optional_spin(1, 200, "preset")
        self.size_spin = _optional_spin(64, 1024, "preset", step=64)
        self.fit_spin = _optional_spin(10, 5000, "default", step=10)
        self.self_pen_check = QtWidgets.QCheckBox("Keep limbs out of the body", self)
        self.self_pen_check.setToolTip("Adds the fit's self-penetration term: a hand may rest on a thigh but "
                                       "not sink into the chest (a little slower)")
        self.one_start_check = QtWidgets.QCheckBox("Quick fit from one start", self)
        self.one_start_check.setToolTip("Fits each person from one start instead of several: about twice as fast, "
                                        "less accurate when the pose is far from the prompt's posture")
        self.overrides_edit = QtWidgets.QLineEdit(self)
        self.overrides_edit.setPlaceholderText('more settings as JSON, e.g. {"guidance_scale": 6}')
        adv.addRow("Views", self.views_spin)
        adv.addRow("Denoising steps", self.steps_spin)
        adv.addRow("Image size", self.size_spin)
        adv.addRow("Fit iterations", self.fit_spin)
        adv.addRow("", self.self_pen_check)
        adv.addRow("", self.one_start_check)
        adv.addRow("Other", self.overrides_edit)

        self.generate_button = QtWidgets.QPushButton("Generate  (Ctrl+G)", self)
        self.generate_button.setDefault(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced_box)
        layout.addWidget(self.generate_button)
        layout.addStretch(1)

        self.random_seed.clicked.connect(self._new_seed)
        self.generate_button.clicked.connect(self.generateRequested)
        for w in (self.negative_edit, self.subject_edit, self.overrides_edit):
            w.editingFinished.connect(self._changed)
        self.prompt_edit.textChanged.connect(self._changed)
        for w in (self.seed_spin, self.results_spin, self.views_spin, self.steps_spin, self.size_spin, self.fit_spin):
            w.valueChanged.connect(self._changed)
        self.preset_combo.currentIndexChanged.connect(self._changed)
        self.advanced_box.toggled.connect(self._changed)
        self.self_pen_check.toggled.connect(self._changed)
        self.one_start_check.toggled.connect(self._changed)
        self._loading = False
        self.restore()

    # ---- values -------------------------------------------------------------------------
    def values(self) -> PromptSettings:
        """The panel as PromptSettings; raises ValueError with advice on bad advanced JSON."""
        overrides: dict = {}
        if self.advanced_box.isChecked():
            for key, spin in zip(ADVANCED_SPINS, self._advanced_spins()):
                if spin.value() > spin.minimum():
                    overrides[key] = int(spin.value())
            if self.self_pen_check.isChecked():
                overrides["lifting.self_penetration"] = True
            if self.one_start_check.isChecked():
                overrides["lifting.starts"] = "one"
            text = self.overrides_edit.text().strip()
            if text:
                try:
                    extra = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"The advanced settings are not valid JSON ({exc.msg}); write them like "
                                     '{"guidance_scale": 6, "rounds": 2}.') from exc
                if not isinstance(extra, dict):
                    raise ValueError('The advanced settings must be a JSON object like {"guidance_scale": 6}.')
                overrides.update({_tree_path(k): v for k, v in extra.items()})
        return PromptSettings(
            prompt=self.prompt_edit.toPlainText().strip(),
            negative_prompt=self.negative_edit.text().strip(),
            subject_word=self.subject_edit.text().strip(),
            seed=int(self.seed_spin.value()),
            num_results=int(self.results_spin.value()),
            preset=str(self.preset_combo.currentData()),
            overrides=overrides,
        )

    def set_values(self, p: PromptSettings) -> None:
        self._loading = True
        try:
            self.prompt_edit.setPlainText(p.prompt)
            self.negative_edit.setText(p.negative_prompt)
            self.subject_edit.setText(p.subject_word)
            self.seed_spin.setValue(int(p.seed))
            self.results_spin.setValue(int(p.num_results))
            i = self.preset_combo.findData(p.preset)
            self.preset_combo.setCurrentIndex(max(0, i))
            ov = {_tree_path(k): v for k, v in (p.overrides or {}).items()}  # older projects: flat names
            self.advanced_box.setChecked(bool(ov))
            for key, spin in zip(ADVANCED_SPINS, self._advanced_spins()):
                value = ov.pop(key, None)
                spin.setValue(int(value) if value is not None else spin.minimum())
            self.self_pen_check.setChecked(bool(ov.pop("lifting.self_penetration", False)))
            self.one_start_check.setChecked(ov.get("lifting.starts") == "one")
            if ov.get("lifting.starts") in ("one", "all"):
                ov.pop("lifting.starts")
            self.overrides_edit.setText(json.dumps(ov) if ov else "")
        finally:
            self._loading = False
        self._changed()

    def _advanced_spins(self) -> tuple:
        return (self.views_spin, self.steps_spin, self.size_spin, self.fit_spin)

    # ---- remembering ----------------------------------------------------------------------
    def restore(self) -> None:
        if self.qs is None:
            self.set_values(PromptSettings())
            return
        raw = self.qs.value("prompt/values", "", type=str)
        try:
            p = PromptSettings.from_dict(json.loads(raw)) if raw else PromptSettings()
        except (ValueError, TypeError):
            p = PromptSettings()
        self.set_values(p)

    def _changed(self, *_args) -> None:
        if self._loading:
            return
        if self.qs is not None:
            try:
                self.qs.setValue("prompt/values", json.dumps(self.values().__dict__))
            except ValueError:
                pass  # half-typed advanced JSON: remember it once it parses
        self.changed.emit()

    def _new_seed(self) -> None:
        import random

        self.seed_spin.setValue(random.randrange(0, 2**31 - 1))


def _optional_spin(minimum: int, maximum: int, special: str, step: int = 1) -> QtWidgets.QSpinBox:
    """A spin box whose lowest value means 'use the preset's value'."""
    spin = QtWidgets.QSpinBox()
    spin.setRange(minimum - 1 if step == 1 else minimum - step, maximum)
    spin.setSingleStep(step)
    spin.setSpecialValueText(special)
    spin.setValue(spin.minimum())
    return spin


def _tree_path(name: str) -> str:
    """The settings-tree path of an advanced setting's name; a name the tree does not know is
    kept as typed, so generating reports it."""
    try:
        return resolve_path(name)
    except ValueError:
        return name
