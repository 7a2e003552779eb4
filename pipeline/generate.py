"""The whole GenZI method for one target; see :mod:`pipeline.generation` for the parts.

Kept as the short, stable import path for the CLI and the desktop worker::

    from pipeline.generate import GenerationRequest, run_generation
"""

from pipeline.generation import *  # noqa: F401,F403
from pipeline.generation import __all__  # noqa: F401
