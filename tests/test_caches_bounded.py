"""Module caches are bounded: no unbounded ``lru_cache``/``functools.cache``, and every
module-level container that outlives a call is one of the few below, each with its bound."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: module-level containers and what keeps them small
BOUNDED = {
    ("pipeline/body/spec.py", "_CACHE"): "CACHE_SIZE body models, least recently used dropped",
    ("pipeline/body/anny_model.py", "_MODELS"): "MAX_MODELS Anny models (one per device)",
    ("genzi_desktop/workers/tasks.py", "_RUNNING"): "the tasks running now; each leaves when it ends",
    ("pipeline/inpaint/warm.py", "_WARM"): "KEEP loaded models (one by default), least recently used dropped",
    ("pipeline/export/run_appearance.py", "_LOOKS"): "_LOOKS_KEPT recent bakes, oldest dropped",
}
CONTAINERS = {"dict", "OrderedDict", "set", "list", "defaultdict", "WeakValueDictionary", "WeakKeyDictionary"}


def _is_container(value: ast.expr) -> bool:
    if isinstance(value, (ast.Dict, ast.Set, ast.List)):
        return not (value.keys if isinstance(value, ast.Dict) else value.elts)  # filled literals are tables
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in CONTAINERS and not value.args and not value.keywords  # dict(a=1) is a table
    return False


def cache_findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(ROOT))
    found = []
    for node in tree.body:  # module level only
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        for target in targets:
            if isinstance(target, ast.Name) and value is not None and _is_container(value) \
                    and (rel, target.id) not in BOUNDED:
                found.append(f"{rel}:{node.lineno}: module-level {target.id} may grow without limit")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                text = ast.unparse(deco)
                if text in ("cache", "functools.cache", "lru_cache", "functools.lru_cache") or "maxsize=None" in text:
                    found.append(f"{rel}:{node.lineno}: {node.name} has an unbounded {text}")
    return found


def test_the_check_finds_unbounded_caches(tmp_path):
    probe = ROOT / "pipeline" / "_cache_probe_tmp.py"
    probe.write_text("import functools\n_SEEN = {}\nTABLE = {'a': 1}\n@functools.lru_cache(maxsize=None)\n"
                     "def f(x):\n    return x\n@functools.lru_cache(maxsize=4)\ndef g(x):\n    return x\n")
    try:
        found = cache_findings(probe)
    finally:
        probe.unlink()
    assert len(found) == 2 and "_SEEN" in found[0] and "f has" in found[1], found


def test_module_caches_are_bounded():
    found = [f for folder in ("pipeline", "genzi_desktop") for path in sorted((ROOT / folder).rglob("*.py"))
             for f in cache_findings(path)]
    assert found == [], "\n".join(found)

