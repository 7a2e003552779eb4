"""First-run set-up: get the inpainting model (download, or a local folder/file), build Anny's cache.

Nothing here blocks: downloads and the cache build run in worker threads with progress bars.
Without a network the download fails at once with a message that says what to do instead
(choose a local folder or file); the dialog stays usable.
"""

from __future__ import annotations

import logging
import socket

from PySide6 import QtCore, QtWidgets

from pipeline.generation.config import DEFAULT_MODEL

from genzi_desktop.model.licences import licences_html
from genzi_desktop.panels.widgets import ask_inpaint_model_file, ask_inpaint_model_folder
from genzi_desktop.workers.tasks import TaskHandle, start_task

log = logging.getLogger("genzi_desktop")

HUB_HOST = "huggingface.co"

OFFLINE_MESSAGE = (
    "No connection to huggingface.co, so the model cannot be downloaded now. Either connect to the "
    "internet and press Download again, or copy a Stable Diffusion inpainting model to this computer "
    "(a diffusers folder, or a .safetensors file) and choose it with 'Use a folder…' / 'Use a file…'."
)


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """A quick check (name lookup and TCP connect) before starting a download that would
    otherwise retry for half a minute."""
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout_s):
            return True
    except OSError:
        return False


class _WrappedLabel(QtWidgets.QLabel):
    """A word-wrapped label that keeps the height its text needs at its current width. A plain
    wrapped QLabel reports the height of a narrower layout, so a long message was cut off and
    the next row drawn over it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        if not self.text():
            return 0
        margins = self.contentsMargins()
        rect = self.fontMetrics().boundingRect(
            QtCore.QRect(0, 0, max(1, width - margins.left() - margins.right()), 100_000),
            int(QtCore.Qt.TextFlag.TextWordWrap), self.text())
        return rect.height() + margins.top() + margins.bottom() + 2

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        return QtCore.QSize(hint.width(), self.heightForWidth(max(self.width(), 200)))

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.updateGeometry()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.height() < self.heightForWidth(self.width()):
            self.updateGeometry()


class ModelSetupDialog(QtWidgets.QDialog):
    """Choose where the inpainting model comes from; shows licences and Anny's cache build."""

    modelChosen = QtCore.Signal(str)
    downloadFailed = QtCore.Signal(str)
    annyReady = QtCore.Signal()

    def __init__(self, parent=None, current_model: str = DEFAULT_MODEL) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up the models")
        self.setMinimumWidth(720)
        self.chosen_model = current_model or DEFAULT_MODEL
        self._task: TaskHandle | None = None
        self._anny_task: TaskHandle | None = None
        #: Hook for tests: replaces the network check.
        self.reachable = hub_reachable
        intro = QtWidgets.QLabel(
            "GenZI Desktop paints people with a Stable Diffusion inpainting model (about 2.6 GB) and fits "
            "the Anny body model to them. Download the default model once, or use a copy you already have.", self)
        intro.setWordWrap(True)
        self.model_label = QtWidgets.QLabel(self)
        self.download_button = QtWidgets.QPushButton(f"Download {DEFAULT_MODEL}", self)
        self.folder_button = QtWidgets.QPushButton("Use a folder…", self)
        self.file_button = QtWidgets.QPushButton("Use a file…", self)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.hide()
        self.status = _WrappedLabel(self)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.anny_label = _WrappedLabel(self)
        self.anny_label.setText("Anny body model: its one-time cache (about a minute) is built on first use.")
        self.anny_progress = QtWidgets.QProgressBar(self)
        self.anny_progress.hide()
        self.anny_button = QtWidgets.QPushButton("Build Anny's cache now", self)
        licences = QtWidgets.QTextBrowser(self)
        licences.setHtml(licences_html())
        licences.setMinimumHeight(180)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, self)
        row = QtWidgets.QHBoxLayout()
        for b in (self.download_button, self.folder_button, self.file_button):
            row.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.model_label)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.anny_label)
        arow = QtWidgets.QHBoxLayout()
        arow.addWidget(self.anny_progress, 1)
        arow.addWidget(self.anny_button)
        layout.addLayout(arow)
        layout.addWidget(QtWidgets.QLabel("<b>What each licence allows</b>", self))
        layout.addWidget(licences, 1)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.reject)
        self.download_button.clicked.connect(self.start_download)
        self.folder_button.clicked.connect(self._choose_folder)
        self.file_button.clicked.connect(self._choose_file)
        self.anny_button.clicked.connect(self.build_anny_cache)
        self._show_model()

    def _show_model(self) -> None:
        self.model_label.setText(f"Inpainting model now: <b>{self.chosen_model}</b>")

    def choose_model(self, model: str) -> None:
        self.chosen_model = model
        self._show_model()
        self.status.setText("The app will use this model for the next generation.")
        self.modelChosen.emit(model)

    def _choose_folder(self) -> None:
        folder = ask_inpaint_model_folder(self)
        if folder:
            self.choose_model(folder)

    def _choose_file(self) -> None:
        path = ask_inpaint_model_file(self)
        if path:
            self.choose_model(path)

    # ---- download ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return any(t is not None and t.is_running() for t in (self._task, self._anny_task))

    def start_download(self) -> None:
        if self._task is not None and self._task.is_running():
            return
        self.download_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Checking the connection…")
        reachable = self.reachable

        def job(report, cancel):
            if not reachable():
                raise ConnectionError(OFFLINE_MESSAGE)
            from pipeline.inpaint.download import fetch_from_hub

            def progress(p):
                cancel.check()
                report(p.description, int(p.done // 1_000_000), int(max(p.total, 1) // 1_000_000))

            return fetch_from_hub(DEFAULT_MODEL, want_fp16=True, local_files_only=False, progress=progress)

        self._task = start_task(self, job, name="model-download", on_finished=self._download_done,
                                on_failed=self._download_failed, on_progress=self._download_progress,
                                on_cancelled=self._download_cancelled)

    def _download_progress(self, message: str, done_mb: int, total_mb: int) -> None:
        if total_mb > 0:
            self.progress.setRange(0, total_mb)
            self.progress.setValue(done_mb)
            self.progress.setFormat(f"{done_mb} / {total_mb} MB")
        self.status.setText(f"Downloading {message}…")

    def _download_done(self, folder) -> None:
        self.progress.hide()
        self.download_button.setEnabled(True)
        self.choose_model(DEFAULT_MODEL)
        self.status.setText(f"Downloaded to {folder}.")

    def _download_failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.download_button.setEnabled(True)
        message = str(exc) if isinstance(exc, ConnectionError) else f"The download failed: {exc}. {OFFLINE_MESSAGE}"
        self.status.setText(message)
        log.warning("%s", message)
        self.downloadFailed.emit(message)

    def _download_cancelled(self) -> None:
        self.progress.hide()
        self.download_button.setEnabled(True)
        self.status.setText("Download cancelled.")

    # ---- Anny's cache -------------------------------------------------------------------------------
    def build_anny_cache(self) -> None:
        if self._anny_task is not None and self._anny_task.is_running():
            return
        self.anny_button.setEnabled(False)
        self.anny_progress.setRange(0, 100)
        self.anny_progress.setValue(0)
        self.anny_progress.show()

        def job(report, cancel):
            from pipeline.body.anny_body import ensure_anny_cache

            ensure_anny_cache(lambda step, total, detail="": report(str(detail), int(step), int(total or 100)))
            return True

        self._anny_task = start_task(self, job, name="anny-cache", on_finished=self._anny_done,
                                     on_failed=self._anny_failed, on_progress=self._anny_progress)

    def _anny_progress(self, message: str, step: int, total: int) -> None:
        self.anny_progress.setRange(0, max(total, 1))
        self.anny_progress.setValue(step)
        self.anny_label.setText(f"Anny body model: {message or 'building its cache'}…")

    def _anny_done(self, _result) -> None:
        self.anny_progress.setValue(self.anny_progress.maximum())
        self.anny_button.setEnabled(True)
        self.anny_label.setText("Anny body model: ready.")
        self.annyReady.emit()

    def _anny_failed(self, exc: BaseException) -> None:
        self.anny_button.setEnabled(True)
        self.anny_progress.hide()
        self.anny_label.setText(f"Anny's cache could not be built: {exc}. Check free disk space (about 1 GB) and try again.")

    def done(self, result: int) -> None:  # noqa: D401 - Qt API: stop workers when the dialog closes
        for task in (self._task,):
            if task is not None and task.is_running():
                task.cancel()
        super().done(result)
