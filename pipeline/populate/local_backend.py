"""Populating on this machine: one person after another, in plan order, in this process."""

from __future__ import annotations

from pipeline.core.events import CancelToken, Event, EventSink, null_sink
from pipeline.populate.events import PersonEvent, PersonFinished
from pipeline.populate.jobs import run_person
from pipeline.populate.schedule import Schedule


class LocalBackend:
    """Runs each person with :func:`run_person` directly into its folder (a stopped job resumes)."""

    name = "local"

    def describe(self) -> str:
        return "this machine"

    def run(self, schedule: Schedule, scene: str, emit: EventSink | None = None, cancel: CancelToken | None = None) -> None:
        emit = emit or null_sink
        cancel = cancel or CancelToken()
        while not schedule.done:
            cancel.check()
            for stopped in schedule.take_cancelled():
                emit(PersonFinished(stopped, schedule.outcomes[stopped]))
            if schedule.done:
                break
            index = schedule.ready()[0]  # plan order: every earlier person has finished
            job = schedule.start(index)

            def person_emit(event: Event, _i=index) -> None:
                emit(PersonEvent(_i, event))

            try:
                outcome = run_person(job, scene, schedule.folder(index), schedule.obstacles(index), person_emit,
                                     schedule.cancels.token(index, cancel))
            finally:
                schedule.stop(index)
            schedule.finish(outcome)
            emit(PersonFinished(index, outcome))

    def close(self) -> None:
        pass
