"""``python -m pipeline.cli --help`` and every subcommand's ``--help`` work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_help_works_in_a_fresh_process():
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stdout.startswith("usage: genzi") and all(name in out.stdout for name in COMMANDS)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_subcommand_help_works(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"usage: genzi {command}") and COMMANDS[command].split(" ")[0] in out.out
    assert "Traceback" not in out.err
