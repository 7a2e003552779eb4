"""Stopping one person of a running populate job while the others go on.

The desktop's queue adds people to :class:`PersonCancels` from its thread; the backends read
it between steps. A person's own :class:`PersonToken` stops on the job's cancel (raising
:class:`~pipeline.core.events.Cancelled`, which ends the job) or on its own (raising
:class:`PersonCancelled`, which ends only that person, recorded with status ``cancelled``).
"""

from __future__ import annotations

import threading

from pipeline.core.events import Cancelled, CancelToken

CANCELLED = "cancelled"


class PersonCancelled(Cancelled):
    """Raised inside one person's run when the user stopped that person only."""


class PersonCancels:
    """The people the user stopped one by one (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._people: set[int] = set()

    def cancel(self, index: int) -> None:
        with self._lock:
            self._people.add(int(index))

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return int(index) in self._people

    def people(self) -> set[int]:
        with self._lock:
            return set(self._people)

    def token(self, index: int, job: CancelToken) -> "PersonToken":
        return PersonToken(index, self, job)


class PersonToken(CancelToken):
    """The cancel token one person's run checks: set by the job's cancel or by its own."""

    def __init__(self, index: int, cancels: PersonCancels, job: CancelToken) -> None:
        super().__init__()
        self.index, self.cancels, self.job = index, cancels, job

    def cancel(self) -> None:
        self.cancels.cancel(self.index)

    @property
    def cancelled(self) -> bool:
        return self.job.cancelled or self.index in self.cancels

    def check(self) -> None:
        self.job.check()
        if self.index in self.cancels:
            raise PersonCancelled(f"person {self.index + 1} cancelled by the user")


def cancelled_outcome(index: int, person: dict | None = None, where: str = "") -> dict:
    """The record of a person the user stopped (a later Populate or retry runs it again)."""
    message = "cancelled by the user" + (f" ({where})" if where else "")
    return {"index": int(index), "status": CANCELLED, "message": message, **({"person": person} if person else {})}
