"""Events of a populate job: one person's pipeline event, a finished person, a notice.

They ride on the same ``emit`` callback as a single run's events, so the CLI's progress
printer and the desktop's worker read them like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.events import Event


@dataclass
class PersonEvent(Event):
    """A pipeline event (stage started, progress, ...) of person ``person``."""

    person: int
    event: Event


@dataclass
class PersonFinished(Event):
    """Person ``person`` is done: ``outcome`` is its ``person.json`` (status, message, metrics)."""

    person: int
    outcome: dict = field(default_factory=dict)


@dataclass
class PopulateNotice(Event):
    """Something the user should know about the job as a whole (a lost worker, a fallback)."""

    message: str
