"""The last line of defence of the ``genzi`` command: an error no sub-command expected becomes
one line that says what failed and what to try, never a traceback (``GENZI_DEBUG=1`` shows it).

Sub-commands turn the errors they know into their own messages first; this only catches what
slips through, so a user never has to read Python's internals.
"""

from __future__ import annotations

import os
import sys
import traceback

EXIT_STOPPED = 130
EXIT_UNEXPECTED = 70


def describe(exc: BaseException) -> str:
    """A one-line description of ``exc`` for a person, with the file it concerns when known."""
    name = type(exc).__name__
    if name == "DecompressionBombError":
        return f"an image is too large to open safely ({exc}); use images of a few thousand pixels at most"
    if isinstance(exc, MemoryError):
        return "the computer ran out of memory; close other programs or use a smaller scene or fewer views"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot read or write{where}: {exc.strerror or exc}"
    text = str(exc).strip() or name
    return f"{text} ({name})"


def report_unexpected(command: str, exc: BaseException, stream=None) -> int:
    """Print ``exc`` as one line for ``genzi COMMAND`` and return the exit status."""
    stream = stream or sys.stderr
    if isinstance(exc, KeyboardInterrupt):
        print(f"\ngenzi {command}: stopped.", file=stream)
        return EXIT_STOPPED
    print(f"genzi {command}: error: {describe(exc)}. Check the input files named above; "
          "if they look right, run again with GENZI_DEBUG=1 and report the details.", file=stream)
    if os.environ.get("GENZI_DEBUG"):
        traceback.print_exception(exc, file=stream)
    return EXIT_UNEXPECTED
