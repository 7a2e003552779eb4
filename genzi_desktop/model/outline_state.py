"""What the user hid or showed in the scene outline, as a project keeps it: by element path.

Row numbers and part indices change when a file is exported again, so rows are named by their
labels from the top row down (``["Level 1", "IfcWall", "Wall 2 #45"]``); a label repeated
among siblings gets `` [2]``, `` [3]``... after its first use. Only differences from what the
file shows by default are kept, and a row whose whole subtree was switched is kept as one
path, so hiding a storey of ten thousand elements stores one entry. Qt-free.
"""

from __future__ import annotations

from typing import Any

from pipeline.scene.outline import OFF, ON, Outline

HIDDEN, SHOWN = "hidden", "shown"


def row_paths(outline: Outline) -> list[tuple[str, ...]]:
    """The stable path of every row, in ``outline.nodes`` order."""
    paths: list[tuple[str, ...]] = [()] * len(outline.nodes)

    def name(siblings: list[int]) -> None:
        seen: dict[str, int] = {}
        for node_id in siblings:
            node = outline.nodes[node_id]
            count = seen[node.label] = seen.get(node.label, 0) + 1
            label = node.label if count == 1 else f"{node.label} [{count}]"
            paths[node_id] = (paths[node.parent] if node.parent >= 0 else ()) + (label,)
            name(node.children)

    name(outline.roots)
    return paths


def _default(outline: Outline, node_id: int) -> str:
    hidden = [outline.nodes[n].hidden_by_default for n in _leaves(outline, node_id)]
    return OFF if all(hidden) else ON if not any(hidden) else "partial"


def _leaves(outline: Outline, node_id: int) -> list[int]:
    node = outline.nodes[node_id]
    if not node.children:
        return [node_id]
    return [leaf for c in node.children for leaf in _leaves(outline, c)]


def visibility_changes(outline: Outline) -> dict[str, list[list[str]]]:
    """``{"hidden": [path, ...], "shown": [path, ...]}``: the rows whose visibility differs from
    the file's default, each switched row named once (its subtree follows it)."""
    paths = row_paths(outline)
    out: dict[str, list[list[str]]] = {HIDDEN: [], SHOWN: []}

    def walk(node_id: int) -> None:
        state = outline.state(node_id)
        if state in (ON, OFF) and _default(outline, node_id) != state:
            out[SHOWN if state == ON else HIDDEN].append(list(paths[node_id]))
        elif state not in (ON, OFF):
            for child in outline.nodes[node_id].children:
                walk(child)

    for root in outline.roots:
        walk(root)
    return out


def apply_visibility(outline: Outline, changes: dict[str, Any] | None) -> list[str]:
    """Reset ``outline`` to the file's defaults, then hide and show the rows ``changes`` names
    (as :func:`visibility_changes` wrote them). Returns the paths not found in this scene (the
    file changed since), as text for a message."""
    outline.visible[:] = True
    outline.visible[outline.surface_count:] = False
    if not changes:
        return []
    by_path = {path: node_id for node_id, path in enumerate(row_paths(outline))}
    missing = []
    for key, on in ((HIDDEN, False), (SHOWN, True)):
        for path in changes.get(key) or []:
            node_id = by_path.get(tuple(str(p) for p in path))
            if node_id is None:
                missing.append(" > ".join(str(p) for p in path))
            else:
                outline.set_visible(node_id, on)
    return missing
