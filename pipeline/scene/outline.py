"""The scene outline: a design's elements as the file names and nests them, with visibility.

Rows come from the file's own hierarchy (IFC storey > class > element, Rhino layer path >
object, USD prim paths, glTF/Collada parent nodes; names with "/" are split when the file
gives no parents). Leaves point at *display parts*: ``scene.geometries`` first, then
``scene.hidden_parts`` (IFC spaces and openings), which start hidden. Visibility is what the
viewport shows and what a click can land on; the generation still sees every surface, so a
person is never fitted through a wall that is only hidden from view. No Qt here: the desktop's
outline dock is a view of this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ON, OFF, PARTIAL = "on", "off", "partial"


@dataclass
class OutlineNode:
    """One row: a group (children) or an element (one display part)."""

    node_id: int
    label: str
    parent: int  # -1 for a top-level row
    parts: np.ndarray  # display-part indices under this row
    children: list[int] = field(default_factory=list)
    colour: tuple[float, float, float] | None = None  # layer or element colour, 0..1
    hidden_by_default: bool = False

    @property
    def is_group(self) -> bool:
        return bool(self.children)


def _leaf_label(name: str, group: tuple[str, ...]) -> str:
    """The element's own name without the group path the full name repeats."""
    if group:
        for prefix in (" / ".join(group) + ": ", "/".join(group) + "/", "/" + "/".join(group) + "/", group[-1] + " "):
            if name.startswith(prefix) and len(name) > len(prefix):
                return _unquoted(name[len(prefix):])
    return name.rsplit("/", 1)[-1] if "/" in name.strip("/") else name.strip("/") or name


def _unquoted(label: str) -> str:
    """"'Basic Wall' #41" -> "Basic Wall #41" (IFC names are quoted after their class)."""
    if label.startswith("'") and "' #" in label:
        name, _, rest = label[1:].rpartition("' #")
        return f"{name} #{rest}"
    return label


def _path_of(name: str, groups, index: int) -> tuple[str, ...]:
    if groups is not None:
        return tuple(groups[index])
    pieces = [p for p in name.strip("/").split("/") if p]
    return tuple(pieces[:-1])


def _part_colour(mesh) -> tuple[float, float, float] | None:
    visual = getattr(mesh, "visual", None)
    if getattr(visual, "kind", None) == "face" and len(mesh.faces):
        return tuple(float(c) / 255.0 for c in np.asarray(visual.face_colors[0][:3]))
    return None


class Outline:
    """Rows, which display parts each row covers, and which parts are shown."""

    def __init__(self, scene) -> None:
        self.surface_count = len(scene.geometries)
        hidden = list(getattr(scene, "hidden_parts", []) or [])
        self.part_count = self.surface_count + len(hidden)
        self.nodes: list[OutlineNode] = []
        self.roots: list[int] = []
        self._leaf_of_part = np.full(self.part_count, -1, dtype=np.int64)
        groups = getattr(scene, "groups", None)
        colours = dict(getattr(scene, "group_colours", {}) or {})
        self._group_rows: dict[tuple[str, ...], int] = {}
        for i, (mesh, name) in enumerate(zip(scene.geometries, scene.names)):
            path = _path_of(name, groups, i)
            self._add_leaf(path, _leaf_label(name, path), i, _part_colour(mesh), False, colours)
        for k, part in enumerate(hidden):
            path = tuple(part.group)
            self._add_leaf(path, _leaf_label(part.name, path), self.surface_count + k, _part_colour(part.mesh),
                           True, colours)
        self._collect_parts()
        self.visible = np.ones(self.part_count, dtype=bool)
        self.visible[self.surface_count:] = False

    # ---- building ------------------------------------------------------------------
    def _new(self, label: str, parent: int, colour=None, hidden: bool = False) -> int:
        node = OutlineNode(len(self.nodes), label, parent, np.zeros(0, dtype=np.int64), colour=colour,
                           hidden_by_default=hidden)
        self.nodes.append(node)
        (self.nodes[parent].children if parent >= 0 else self.roots).append(node.node_id)
        return node.node_id

    def _group(self, path: tuple[str, ...], colours) -> int:
        if not path:
            return -1
        if path not in self._group_rows:
            parent = self._group(path[:-1], colours)
            self._group_rows[path] = self._new(path[-1], parent, colours.get(path))
        return self._group_rows[path]

    def _add_leaf(self, path, label, part, colour, hidden, colours) -> None:
        leaf = self._new(label, self._group(path, colours), colour, hidden)
        self.nodes[leaf].parts = np.array([part], dtype=np.int64)
        self._leaf_of_part[part] = leaf

    def _collect_parts(self) -> None:
        for node in reversed(self.nodes):  # children are always made after their parent
            if node.children:
                node.parts = np.concatenate([self.nodes[c].parts for c in node.children])
                node.hidden_by_default = all(self.nodes[c].hidden_by_default for c in node.children)

    # ---- queries -------------------------------------------------------------------
    def node_of_part(self, part: int) -> int:
        """The element row of a display part (what a click in the viewport selects)."""
        return int(self._leaf_of_part[int(part)])

    def state(self, node_id: int) -> str:
        """``on``, ``off`` or ``partial`` (some of the group's elements shown)."""
        shown = self.visible[self.nodes[node_id].parts]
        return ON if shown.all() else OFF if not shown.any() else PARTIAL

    def set_visible(self, node_id: int, on: bool) -> None:
        """Show or hide a row and everything under it."""
        self.visible[self.nodes[node_id].parts] = bool(on)

    def hidden_surfaces(self) -> np.ndarray:
        """Indices of ``scene.geometries`` the user hid (a click passes through them)."""
        return np.flatnonzero(~self.visible[: self.surface_count])

    def shown_extras(self) -> np.ndarray:
        """Indices into ``scene.hidden_parts`` the user chose to show."""
        return np.flatnonzero(self.visible[self.surface_count:])

    def path_labels(self, node_id: int) -> list[str]:
        """Labels from the top row down to ``node_id`` (for a status line)."""
        labels = []
        while node_id >= 0:
            labels.append(self.nodes[node_id].label)
            node_id = self.nodes[node_id].parent
        return labels[::-1]
