"""No module reaches into another object's or module's private names: ``obj._name`` where
``obj`` is not ``self``/``cls`` and ``from x import _name`` are refused in the product code.
Third-party internals are read only inside the one adapter module per library."""

from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
#: The adapters: the only modules that may read a library's private members.
ADAPTERS = {"genzi_desktop/viewport/pyvistaqt_adapter.py", "pipeline/body/anny_adapter.py"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_accesses(path: Path) -> list[str]:
    """``file:line: text`` of every cross-object private access in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _private(node.args[1].value)
              and not (isinstance(node.args[0], ast.Name) and node.args[0].id in ("self", "cls"))):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def _offences(package: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if str(path.relative_to(ROOT)) not in ADAPTERS:
            out.extend(private_accesses(path))
    return out


def test_the_check_finds_private_access(tmp_path):
    probe = ROOT / "tests" / "_private_probe_tmp.py"
    probe.write_text("from os import _exit\nclass A:\n    def f(self, other):\n        return self._a + other._b\n"
                     "    def g(self, other):\n        return getattr(other, '_c', None), getattr(self, '_d', 0)\n")
    try:
        found = private_accesses(probe)
    finally:
        probe.unlink()
    assert len(found) == 3, found
    assert "_exit" in found[0] and "other._b" in found[1] and "'_c'" in found[2]


def test_desktop_uses_only_public_names():
    offences = _offences("genzi_desktop")
    assert not offences, "private names used across objects:\n" + "\n".join(offences)


def test_pipeline_uses_only_public_names():
    offences = _offences("pipeline")
    assert not offences, "private names used across objects:\n" + "\n".join(offences)
