"""Which people may start now: a person waits until everyone it must avoid has finished.

Both backends share this order, so a person's obstacles (and with them its result) do not
depend on how many workers run or which one finishes first.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.core.atomic import write_json_atomic
from pipeline.populate.jobs import PersonJob, best_body, person_dir_name


class Schedule:
    """Jobs, their finished outcomes, and the obstacle bodies each ready job needs."""

    def __init__(self, jobs: list[PersonJob], out_dir: Path, outcomes: dict[int, dict]) -> None:
        self.jobs = {j.person.index: j for j in jobs}
        self.out_dir = Path(out_dir)
        self.outcomes: dict[int, dict] = dict(outcomes)
        self.running: set[int] = set()

    def folder(self, index: int) -> Path:
        return self.out_dir / "people" / person_dir_name(index)

    @property
    def pending(self) -> list[int]:
        return [i for i in sorted(self.jobs) if i not in self.outcomes]

    @property
    def done(self) -> bool:
        return not self.pending

    def ready(self) -> list[int]:
        """People not started whose obstacles have all finished, in plan order."""
        return [i for i in self.pending if i not in self.running
                and all(o in self.outcomes for o in self.jobs[i].obstacles)]

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
        write_json_atomic(self.out_dir / "status.json", {
            "people": [{"index": i, "folder": f"people/{person_dir_name(i)}",
                        "status": self.outcomes.get(i, {}).get("status", "pending"),
                        "message": self.outcomes.get(i, {}).get("message", "")} for i in sorted(self.jobs)],
        })
