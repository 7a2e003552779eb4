"""The one exception every exporter raises for a problem the user can fix."""

from __future__ import annotations


class ExportError(RuntimeError):
    """An export failed for a reason the message explains (disk full, no permission,
    missing converter); the GUI shows the message as is."""
