"""Entry point of the frozen one-folder build: one executable, three modes.

    genzi-desktop [app options]              the desktop application
    genzi-desktop genzi COMMAND [...]        the ``genzi`` command line (fit, views, export, ...)
    genzi-desktop --selftest-fit OUT_DIR     render, detect, fit and export once (build check)

One executable keeps the folder small (a second one would duplicate nothing but costs a
second analysis); ``build_desktop.sh`` adds a ``genzi`` wrapper script next to it.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # first thing: torch/mediapipe may spawn workers
    args = sys.argv[1:]
    if args[:1] == ["genzi"]:
        from pipeline.cli.main import main as cli_main

        sys.argv = ["genzi", *args[1:]]
        return int(cli_main(args[1:]) or 0)
    if args[:1] == ["--selftest-fit"]:
        import frozen_selftest

        return frozen_selftest.run(args[1] if len(args) > 1 else "selftest_out")
    from genzi_desktop.app import main as app_main

    return int(app_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
