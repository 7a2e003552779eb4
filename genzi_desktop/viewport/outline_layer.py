"""What the outline adds to the viewport: the selected element drawn on top in a highlight
colour, and the parts a file holds but hides by default (IFC spaces, openings) once the user
shows them, as see-through volumes."""

from __future__ import annotations

import pyvista as pv

from pipeline.views.look import trimesh_to_polydata

HIGHLIGHT_COLOR = "#ff8c1a"
EXTRA_COLOR = "#7fb2e5"
EXTRA_OPACITY = 0.35
HIGHLIGHT_NAME = "outline-highlight"


class OutlineLayer:
    """Visibility of the scene's actors, highlight and extra-part actors of one viewport."""

    def __init__(self, plotter) -> None:
        self.plotter = plotter
        self._scene = None
        self._actors: list = []  # one per scene.geometries (the viewport's scene actors)
        self._extras: dict[int, object] = {}  # index into scene.hidden_parts -> actor
        self.highlighted: tuple[int, ...] = ()

    def reset(self, scene, actors: list) -> None:
        """A new scene is shown with these actors (all visible)."""
        self._scene, self._actors = scene, list(actors)

    def show(self, visible, extras=()) -> None:
        """Show each scene part or not (one bool per ``scene.geometries``) and draw the
        hidden-by-default parts listed in ``extras`` (see ``pipeline.scene.outline``)."""
        if self._scene is None:
            return
        for actor, on in zip(self._actors, visible):
            actor.visibility = bool(on)
        self.show_extras(self._scene, extras)
        self.plotter.render()

    def part_visible(self, index: int) -> bool:
        return bool(self._actors[index].visibility)

    def select(self, parts) -> None:
        """Highlight the outline's selected display parts (empty: none) and render."""
        if self._scene is not None:
            self.highlight(self._scene, parts)
            self.plotter.render()

    def clear(self) -> None:
        for actor in self._extras.values():
            self.plotter.remove_actor(actor, render=False)
        self._extras = {}
        self.plotter.remove_actor(HIGHLIGHT_NAME, render=False)
        self.highlighted = ()

    def show_extras(self, scene, shown) -> None:
        """Draw exactly the hidden-by-default parts listed in ``shown`` (indices)."""
        wanted = {int(k) for k in shown}
        for k in list(self._extras):
            if k not in wanted:
                self.plotter.remove_actor(self._extras.pop(k), render=False)
        for k in sorted(wanted - set(self._extras)):
            poly = trimesh_to_polydata(scene.hidden_parts[k].mesh)
            self._extras[k] = self.plotter.add_mesh(poly, color=EXTRA_COLOR, opacity=EXTRA_OPACITY, pickable=False,
                                                    reset_camera=False, render=False, name=f"outline-extra-{k}")

    @property
    def extras_shown(self) -> list[int]:
        return sorted(self._extras)

    def highlight(self, scene, parts) -> None:
        """Draw the display parts ``parts`` (geometries, then hidden parts) over the scene."""
        self.plotter.remove_actor(HIGHLIGHT_NAME, render=False)
        self.highlighted = tuple(int(p) for p in parts)
        surfaces = len(scene.geometries)
        meshes = [scene.geometries[p] if p < surfaces else scene.hidden_parts[p - surfaces].mesh
                  for p in self.highlighted]
        if not meshes:
            return
        polys = [trimesh_to_polydata(m) for m in meshes]
        poly = polys[0] if len(polys) == 1 else pv.merge(polys)
        actor = self.plotter.add_mesh(poly, name=HIGHLIGHT_NAME, color=HIGHLIGHT_COLOR, opacity=0.85,
                                      pickable=False, reset_camera=False, render=False)
        mapper = actor.GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()  # drawn over the element it covers
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-2.0, -2.0)
