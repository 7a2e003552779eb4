"""Run slow pipeline calls in a QThread and hand results back to the GUI thread.

``start_task(parent, fn, ...)`` runs ``fn(report, cancel)`` in a worker thread, where
``report(message, step, total)`` posts progress and ``cancel`` is a ``pipeline.core.events.CancelToken``.
The callbacks run in the GUI thread: worker signals are connected to slots of a relay QObject
that lives there (a signal connected to a bare callable would run in the worker thread).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, Callable

from PySide6 import QtCore

from pipeline.core.events import CancelToken, Cancelled

log = logging.getLogger(__name__)


class TaskWorker(QtCore.QObject):
    progress = QtCore.Signal(str, int, int)
    finished = QtCore.Signal(object)
    failed = QtCore.Signal(object)  # the exception
    cancelled = QtCore.Signal()

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        super().__init__()
        self._fn, self.name, self.token = fn, name, CancelToken()

    def _report(self, message: str = "", step: int = 0, total: int = 0) -> None:
        self.progress.emit(str(message), int(step), int(total))

    @QtCore.Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._report, self.token)
        except Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never raised there
            log.debug("task %s failed:\n%s", self.name, traceback.format_exc())
            self.failed.emit(exc)
        else:
            self.finished.emit(result)


class _Relay(QtCore.QObject):
    """Lives in the GUI thread; its slots call the user's callbacks there."""

    def __init__(self, parent, on_finished, on_failed, on_progress, on_cancelled) -> None:
        super().__init__(parent)
        self._on = (on_finished, on_failed, on_progress, on_cancelled)

    @QtCore.Slot(object)
    def finished(self, result) -> None:
        if self._on[0]:
            self._on[0](result)

    @QtCore.Slot(object)
    def failed(self, exc) -> None:
        if self._on[1]:
            self._on[1](exc)

    @QtCore.Slot(str, int, int)
    def progress(self, message, step, total) -> None:
        if self._on[2]:
            self._on[2](message, step, total)

    @QtCore.Slot()
    def cancelled(self) -> None:
        if self._on[3]:
            self._on[3]()


class TaskHandle(QtCore.QObject):
    """A running background task: cancel it, wait for it, ask whether it still runs."""

    done = QtCore.Signal()

    def __init__(self, parent, worker: TaskWorker, thread: QtCore.QThread, relay: _Relay) -> None:
        super().__init__(parent)
        self.worker, self.thread, self.relay = worker, thread, relay
        self.name = worker.name

    def cancel(self) -> None:
        self.worker.token.cancel()

    def is_running(self) -> bool:
        return thread_is_running(self.thread)

    def wait(self, ms: int = 30000) -> bool:
        return wait_for_thread(self.thread, ms)


def run_in_thread(worker: QtCore.QObject, thread: QtCore.QThread, end_signals) -> None:
    """Move ``worker`` into ``thread``: its ``run`` starts with the thread, and the thread ends
    as soon as one of ``end_signals`` fires."""
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for sig in end_signals:
        # direct: a queued quit would wait for the GUI thread, which may be blocked in wait()
        sig.connect(thread.quit, QtCore.Qt.ConnectionType.DirectConnection)


def thread_is_running(thread: QtCore.QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # already deleted
        return False


def wait_for_thread(thread: QtCore.QThread, ms: int) -> bool:
    try:
        return thread.wait(ms)
    except RuntimeError:  # already deleted
        return True


_RUNNING: set[TaskHandle] = set()


def start_task(parent: QtCore.QObject, fn: Callable[..., Any], *, name: str = "task",
               on_finished: Callable[[Any], None] | None = None,
               on_failed: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[str, int, int], None] | None = None,
               on_cancelled: Callable[[], None] | None = None) -> TaskHandle:
    thread = QtCore.QThread(parent)
    thread.setObjectName(name)
    worker = TaskWorker(fn, name)
    relay = _Relay(parent, on_finished, on_failed, on_progress, on_cancelled)
    handle = TaskHandle(parent, worker, thread, relay)
    worker.progress.connect(relay.progress)
    worker.finished.connect(relay.finished)
    worker.failed.connect(relay.failed)
    worker.cancelled.connect(relay.cancelled)
    run_in_thread(worker, thread, (worker.finished, worker.failed, worker.cancelled))

    def _cleanup() -> None:
        _RUNNING.discard(handle)
        worker.deleteLater()
        handle.done.emit()

    cleanup = _Cleanup(handle, _cleanup)
    thread.finished.connect(cleanup.run)
    _RUNNING.add(handle)
    thread.start()
    return handle


class _Cleanup(QtCore.QObject):
    """GUI-thread slot for ``QThread.finished``."""

    def __init__(self, parent, fn: Callable[[], None]) -> None:
        super().__init__(parent)
        self._fn = fn

    @QtCore.Slot()
    def run(self) -> None:
        self._fn()


def running_tasks() -> list[TaskHandle]:
    return [h for h in list(_RUNNING) if h.is_running()]


def stop_all_tasks(timeout_ms: int = 10000) -> None:
    """Ask every running task to stop and wait for it (window closing, test teardown)."""
    for handle in list(_RUNNING):
        handle.cancel()
    for handle in list(_RUNNING):
        handle.wait(timeout_ms)
