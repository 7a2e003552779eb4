"""Populating on this machine, in plan order, in this process.

With ``together`` above 1, up to that many people whose earlier neighbours are finished run
at the same time (threads), and their diffusion painting is shared: their views go through
the UNet in the same calls (see :mod:`pipeline.populate.shared_painting`). ``"auto"`` shares
on a GPU (4 at a time, the batch then bounded by the out-of-memory back-off) and runs one
after another on a CPU, where shared calls only split the same cores.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from pipeline.core.events import Cancelled, CancelToken, Event, EventSink, null_sink
from pipeline.populate.events import PersonEvent, PersonFinished
from pipeline.populate.jobs import run_person
from pipeline.populate.schedule import Schedule

GPU_TOGETHER = 4


def resolve_together(together: int | str, device: str) -> int:
    """How many people run at once: a number as given, ``"auto"`` by the device."""
    if together != "auto":
        return max(1, int(together))
    from pipeline.core.device import pick_device

    return GPU_TOGETHER if pick_device(device).type == "cuda" else 1


class LocalBackend:
    """Runs each person with :func:`run_person` directly into its folder (a stopped job resumes)."""

    name = "local"

    def __init__(self, together: int | str = 1, device: str = "auto") -> None:
        self.together = resolve_together(together, device)
        self.board = None  # the PaintBoard of the last run (people per shared call)

    def describe(self) -> str:
        return "this machine" + (f", {self.together} people at a time" if self.together > 1 else "")

    def run(self, schedule: Schedule, scene: str, emit: EventSink | None = None, cancel: CancelToken | None = None) -> None:
        emit = emit or null_sink
        cancel = cancel or CancelToken()
        if self.together > 1:
            return self._run_together(schedule, scene, emit, cancel)
        while not schedule.done:
            cancel.check()
            for stopped in schedule.take_cancelled():
                emit(PersonFinished(stopped, schedule.outcomes[stopped]))
            if schedule.done:
                break
            index = schedule.ready()[0]  # plan order: every earlier person has finished
            job = schedule.start(index)
            try:
                outcome = run_person(job, scene, schedule.folder(index), schedule.obstacles(index),
                                     _person_emit(emit, index), schedule.cancels.token(index, cancel))
            finally:
                schedule.stop(index)
            schedule.finish(outcome)
            emit(PersonFinished(index, outcome))

    def _run_together(self, schedule: Schedule, scene: str, emit: EventSink, cancel: CancelToken) -> None:
        from pipeline.populate.shared_painting import PaintBoard, SharedDiffusionImagination

        board = self.board = PaintBoard(cancel)

        def one(index: int) -> dict:
            try:
                return run_person(schedule.jobs[index], scene, schedule.folder(index), schedule.obstacles(index),
                                  _person_emit(emit, index), schedule.cancels.token(index, cancel),
                                  painter=SharedDiffusionImagination(board))
            finally:
                board.leave()

        running: dict = {}
        with ThreadPoolExecutor(self.together, thread_name_prefix="populate") as pool:
            try:
                while not schedule.done:
                    for stopped in schedule.take_cancelled():
                        emit(PersonFinished(stopped, schedule.outcomes[stopped]))
                    for index in schedule.ready()[: self.together - len(running)]:
                        if cancel.cancelled:
                            break
                        schedule.start(index)
                        board.enter()
                        running[pool.submit(one, index)] = index
                    if not running:
                        cancel.check()
                        continue
                    done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        index = running.pop(future)
                        schedule.stop(index)
                        outcome = future.result()  # a job cancel raises here
                        schedule.finish(outcome)
                        emit(PersonFinished(index, outcome))
            except Cancelled:
                cancel.cancel()
                raise
            finally:
                wait(list(running))  # every person thread has stopped before the job ends
                for index in running.values():
                    schedule.stop(index)

    def close(self) -> None:
        pass


def _person_emit(emit: EventSink, index: int) -> EventSink:
    def person_emit(event: Event) -> None:
        emit(PersonEvent(index, event))

    return person_emit
