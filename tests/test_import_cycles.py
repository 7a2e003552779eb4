"""No import cycles between modules of ``pipeline`` and ``genzi_desktop``: every import, also
the ones deferred into a function, points one way. Checked on grimp's import graph (the one
import-linter's contracts use), with Tarjan's strongly connected components."""

from __future__ import annotations

import grimp

#: Cycles whose last edge lies in a module another change is rewriting; each names the one
#: import that closes it. Empty this when those imports move.
PENDING = {
}


def import_cycles(*packages: str) -> list[frozenset[str]]:
    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = sorted(m for m in graph.modules if m.split(".")[0] in packages)
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(start: str) -> None:  # iterative Tarjan: no recursion limit on long chains
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_the_check_finds_a_cycle(tmp_path, monkeypatch):
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclepkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from cyclepkg import a\n")
    (pkg / "c.py").write_text("from cyclepkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclepkg") == [frozenset({"cyclepkg.a", "cyclepkg.b"})]


def test_no_import_cycles():
    cycles = [sorted(c) for c in import_cycles("pipeline", "genzi_desktop") if c not in PENDING]
    assert cycles == [], f"import cycles: {cycles}"
