"""A read-only log pane fed by Python logging from any thread."""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtWidgets


class _Emitter(QtCore.QObject):
    message = QtCore.Signal(str)


class QtLogHandler(logging.Handler):
    """A logging handler that forwards formatted records through a Qt signal."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.emitter = _Emitter()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.emitter.message.emit(self.format(record))
        except RuntimeError:  # emitter deleted while the app shuts down
            pass


class LogPanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.text = QtWidgets.QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(5000)
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text)
        self.handler = QtLogHandler()
        self.handler.emitter.message.connect(self.append)

    @QtCore.Slot(str)
    def append(self, line: str) -> None:
        self.text.appendPlainText(line)

    def attach(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).addHandler(self.handler)

    def detach(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).removeHandler(self.handler)
