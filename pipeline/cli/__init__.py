"""The ``genzi`` command: one module per subcommand (``views``, ``fit``, ``generate``, ``export``)."""

from pipeline.cli.main import main

__all__ = ["main"]
