"""Which people may start now: a person waits until everyone it must avoid has finished.

Both backends share this order, so a person's obstacles (and with them its result) do not
depend on how many workers run or which one finishes first.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.core.atomic import write_json_atomic
from pipeline.populate.jobs import OUTCOME_FILE, PersonJob, best_body, person_dir_name, read_outcome
from pipeline.populate.person_cancel import PersonCancels, cancelled_outcome


class Schedule:
    """Jobs, their finished outcomes, and the obstacle bodies each ready job needs."""

    def __init__(self, jobs: list[PersonJob], out_dir: Path, outcomes: dict[int, dict],
                 cancels: PersonCancels | None = None, only: list[int] | None = None) -> None:
        self.jobs = {j.person.index: j for j in jobs}
        self.out_dir = Path(out_dir)
        self.outcomes: dict[int, dict] = dict(outcomes)
        self.running: set[int] = set()
        self.cancels = cancels or PersonCancels()
        self.active = set(self.jobs) if only is None else self._with_waits(only)

    def _with_waits(self, only: list[int]) -> set[int]:
        """``only`` plus the unfinished people they wait on (and those wait on, ...)."""
        unknown = [i for i in only if i not in self.jobs]
        if unknown:
            raise ValueError(f"no person {unknown[0] + 1} in this job (it has {len(self.jobs)})")
        todo, active = list(only), set()
        while todo:
            i = todo.pop()
            if i not in active:
                active.add(i)
                todo += [o for o in self.jobs[i].obstacles if o not in self.outcomes]
        return active

    def folder(self, index: int) -> Path:
        return self.out_dir / "people" / person_dir_name(index)

    @property
    def pending(self) -> list[int]:
        return [i for i in sorted(self.active) if i not in self.outcomes]

    @property
    def done(self) -> bool:
        return not self.pending

    def ready(self) -> list[int]:
        """People not started whose obstacles have all finished, in plan order."""
        return [i for i in self.pending if i not in self.running
                and all(o in self.outcomes for o in self.jobs[i].obstacles)]

    def take_cancelled(self) -> list[int]:
        """Record the people cancelled before they started; returns them (for their events)."""
        stopped = [i for i in self.pending if i not in self.running and i in self.cancels]
        for i in stopped:
            outcome = cancelled_outcome(i, self.jobs[i].person.to_dict(), "before it started")
            self.folder(i).mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.folder(i) / OUTCOME_FILE, outcome)
            self.finish(outcome)
        return stopped

    def obstacles(self, index: int) -> list:
        """(vertices, faces) of the finished obstacle people that have a body."""
        meshes = [best_body(self.folder(o)) for o in self.jobs[index].obstacles]
        return [m for m in meshes if m is not None]

    def start(self, index: int) -> PersonJob:
        self.running.add(index)
        return self.jobs[index]

    def stop(self, index: int) -> None:
        self.running.discard(index)

    def finish(self, outcome: dict) -> None:
        index = int(outcome["index"])
        self.running.discard(index)
        self.outcomes[index] = outcome
        self.write_status()

    def write_status(self) -> None:
        """``status.json``: every person's state, rewritten atomically after each one."""
        def state(i: int) -> dict:
            if i in self.outcomes or i in self.active:
                return self.outcomes.get(i, {})
            return read_outcome(self.folder(i)) or {}  # left out of this run: as it was

        write_json_atomic(self.out_dir / "status.json", {
            "people": [{"index": i, "folder": f"people/{person_dir_name(i)}",
                        "status": state(i).get("status", "pending"),
                        "message": state(i).get("message", "")} for i in sorted(self.jobs)],
        })
