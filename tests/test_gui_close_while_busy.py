"""Closing the window while a generation job cannot stop yet must wait for it, not abort."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from gui_support import gui_settings, message_boxes, window  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


class StubbornRunner(QtCore.QObject):
    """Stands in for a GenerationRunner whose job is inside a step that ignores cancel."""

    done = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        self.running = True
        self.cancelled = False

    def is_running(self) -> bool:
        return self.running

    def cancel(self) -> None:
        self.cancelled = True

    def wait(self, ms: int = 0) -> bool:
        return not self.running

    def finish(self) -> None:
        self.running = False
        self.done.emit()


def test_close_waits_for_a_job_that_cannot_stop_yet(window, qtbot):
    runner = StubbornRunner()
    window.generation.runner = runner
    window.show()
    qtbot.waitExposed(window)

    window.close()
    assert runner.cancelled
    assert window.isVisible()  # still open: closing now would destroy a running thread
    assert "Closing" in window.statusBar().currentMessage()

    window.generation.runner = None  # what the controller does when its runner reports done
    runner.finish()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)



def test_no_autosave_starts_after_shutdown(window, qtbot, tmp_path):
    """A job's result can arrive (queued) after the window shut down; its background autosave
    must not start a thread that outlives the window (the app aborted with 'QThread destroyed
    while running')."""
    from genzi_desktop.workers.tasks import running_tasks
    from gui_support import SAMPLE

    window.open_scene(SAMPLE)
    qtbot.waitUntil(lambda: window.scene_path is not None, timeout=30000)
    window.generation.shutdown()
    assert window.generation.projects.autosave(background=True) is None
    assert not [t for t in running_tasks() if t.name == "autosave"]


def test_waiting_for_a_task_from_the_gui_thread_returns_when_it_ends(qapp):
    """The GUI thread blocks in wait() while closing; a task that finishes meanwhile must end
    its thread then (a quit queued to the blocked GUI thread made every close wait out the
    full timeout, and the app aborted with 'QThread destroyed while running')."""
    import time

    from genzi_desktop.workers.tasks import running_tasks, start_task

    owner = QtCore.QObject()
    handle = start_task(owner, lambda report, cancel: time.sleep(0.3), name="sleeper")
    t0 = time.perf_counter()
    assert handle.wait(10000)
    assert time.perf_counter() - t0 < 3.0
    qapp.processEvents()
    assert handle not in running_tasks()


def test_waiting_for_a_generation_job_returns_when_it_ends(qapp, tmp_path):
    """The same for the generation runner: shutdown cancels and waits up to 60 s."""
    import time

    from genzi_desktop.workers.generation import GenerationJob, GenerationRunner

    runner = GenerationRunner(GenerationJob(kind="not-a-kind", run_dir=tmp_path))  # fails at once
    failures = []
    runner.worker.failed.connect(failures.append)
    t0 = time.perf_counter()
    runner.start()
    assert runner.wait(10000)
    assert time.perf_counter() - t0 < 3.0
    qapp.processEvents()
    assert failures and "not-a-kind" in failures[0]


class _RecordingRenderer:
    def __init__(self):
        self.threads = []

    def rgb(self, camera):
        import threading

        self.threads.append(threading.current_thread())
        if camera == "bad":
            raise ValueError("no such camera")
        return f"image of {camera}"


def test_worker_renders_run_in_the_gui_thread(qapp, qtbot):
    """Mid-job renders (round 2, ranking) are queued to the GUI thread; errors come back to
    the worker; a cancelled job stops waiting even when the GUI never serves the request."""
    import threading

    from genzi_desktop.viewport.gui_thread_renderer import GuiThreadRenderer
    from genzi_desktop.workers.tasks import start_task
    from pipeline.core.events import Cancelled, CancelToken

    inner = _RecordingRenderer()
    proxy = GuiThreadRenderer(lambda: inner)
    outcome = {}

    def work(report, cancel):
        outcome["image"] = proxy.rgb("view_00")
        try:
            proxy.rgb("bad")
        except ValueError as exc:
            outcome["error"] = str(exc)
        outcome["worker"] = threading.current_thread()
        return True

    owner = QtCore.QObject()
    done = []
    start_task(owner, work, name="renders", on_finished=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert outcome["image"] == "image of view_00" and outcome["error"] == "no such camera"
    assert inner.threads == [threading.main_thread(), threading.main_thread()]
    assert outcome["worker"] is not threading.main_thread()

    token = CancelToken()
    proxy.set_cancel(token)
    result = {}

    def blocked():  # the GUI thread below never runs its event loop while this waits
        try:
            proxy.rgb("view_01")
        except Cancelled:
            result["cancelled"] = True

    t = threading.Thread(target=blocked)
    t.start()
    token.cancel()
    t.join(5.0)
    assert not t.is_alive() and result == {"cancelled": True}
