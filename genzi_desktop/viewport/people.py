"""Dressed people in the viewport: the pieces of each shown result (clothes, hair, textures).

A result drawn dressed hides its plain body actor; removing the dressed pieces shows the
plain body again. Drawing only: the pieces come ready from ``pipeline.export.result_look``.
"""

from __future__ import annotations

from pipeline.views.people_look import add_people_actors


class DressedPeople:
    def __init__(self, plotter) -> None:
        self.plotter = plotter
        self._actors: dict[str, list] = {}

    def has(self, key: str) -> bool:
        return key in self._actors

    def actors(self, key: str) -> list:
        return list(self._actors.get(key, []))

    def set(self, key: str, pieces, visible: bool = True) -> None:
        """Show ``pieces`` for the result under ``key`` (replacing earlier ones)."""
        self.remove(key)
        actors = add_people_actors(self.plotter, pieces, name=f"person-{key}")
        for actor in actors:
            actor.visibility = bool(visible)
        self._actors[key] = actors
        body = self.plotter.actors.get(f"body-{key}")
        if body is not None:
            body.visibility = False

    def remove(self, key: str) -> None:
        for actor in self._actors.pop(key, []):
            self.plotter.remove_actor(actor, render=False)

    def set_visible(self, key: str, visible: bool) -> bool:
        """Show or hide a dressed result; False when it is not drawn dressed."""
        if key not in self._actors:
            return False
        for actor in self._actors[key]:
            actor.visibility = bool(visible)
        return True
