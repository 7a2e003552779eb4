"""``genzi --help`` and every subcommand's ``--help`` work in a fresh process, as a user types them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_works_for_the_command_and_every_subcommand(command):
    args = [sys.executable, "-m", "pipeline.cli"] + ([command] if command else []) + ["--help"]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith(f"usage: genzi{' ' + command if command else ''}"), out.stdout[:200]
    if command is None:
        assert all(name in out.stdout for name in COMMANDS)
    assert "Traceback" not in out.stderr

