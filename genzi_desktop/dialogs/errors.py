"""Friendly error reporting: a dialog that says what to do, details to the log, never a traceback."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6 import QtWidgets

log = logging.getLogger("genzi_desktop")


_interactive = True


def set_interactive(on: bool) -> None:
    """Off for scripted runs (``--screenshot``/``--quit``): errors are only logged, never block."""
    global _interactive
    _interactive = bool(on)


def show_error(parent: QtWidgets.QWidget | None, title: str, message: str, advice: str = "") -> None:
    """A modal error box with the problem and what to do about it."""
    log.error("%s: %s", title, message)
    _message_box(parent, QtWidgets.QMessageBox.Icon.Warning, title,
                 message if not advice else f"{message}\n\n{advice}")


def show_warning(parent: QtWidgets.QWidget | None, title: str, message: str) -> None:
    """A modal note that something could not be read, with what to do (the work goes on)."""
    log.warning("%s: %s", title, message)
    _message_box(parent, QtWidgets.QMessageBox.Icon.Information, title, message)


def _message_box(parent, icon, title: str, text: str) -> None:
    """One modal box with an OK button; nothing when boxes are off (tests, batch runs)."""
    if not _interactive:
        return
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(QtWidgets.QMessageBox.StandardButton.Ok)
    box.exec()


def describe_exception(exc: BaseException) -> str:
    """A one-line message for a user: the exception's own text, else its type in words."""
    text = str(exc).strip()
    if not text:
        text = type(exc).__name__
    return text


_installed = False


def install_excepthook(parent_getter=lambda: None) -> None:
    """Route uncaught exceptions to the log and a friendly dialog instead of a crash."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("Unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            if QtWidgets.QApplication.instance() is not None:
                show_error(parent_getter(), "Something went wrong",
                           f"An unexpected problem occurred: {describe_exception(exc)}",
                           "Your work is still open. The details are in the Log panel; if it keeps "
                           "happening, save your work and restart the app.")
        except Exception:  # pragma: no cover - never raise from the hook
            pass

    sys.excepthook = hook
