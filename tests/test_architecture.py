"""The pipeline stays free of Qt: importing any of its modules never loads PySide6 or the app."""

from __future__ import annotations

import json
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline

FORBIDDEN = ("PySide6", "pyvistaqt", "qtpy", "genzi_desktop")


def _pipeline_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(pipeline.__path__, prefix="pipeline."))


@pytest.mark.slow  # imports torch, diffusers and friends in a fresh interpreter (~10-20 s)
def test_pipeline_modules_do_not_import_qt():
    modules = _pipeline_modules()
    assert "pipeline.scene.scene" in modules and "pipeline.scene.sdf" in modules
    script = f"""
import importlib, json, sys, traceback
failed = {{}}
for name in {modules!r}:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{{type(exc).__name__}}: {{exc}}"
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})
print(json.dumps({{"failed": failed, "loaded": loaded}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], f"pipeline imports pulled in Qt/app modules: {report['loaded']}"
    assert report["failed"] == {}, f"pipeline modules that do not import: {report['failed']}"


def test_import_linter_contract():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e .[test])")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([exe], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "KEPT" in result.stdout
