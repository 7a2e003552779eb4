"""Errors of a generation run; each message says what went wrong and what to try."""

from __future__ import annotations


class GenerationError(Exception):
    """Base class: a run could not go on (bad input, missing model, unusable folder)."""


class NothingUsableError(GenerationError):
    """The run finished its stages but produced no body; the message explains why."""


class RunFolderMismatchError(GenerationError):
    """The output folder holds a different run than the one requested."""
