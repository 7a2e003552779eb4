"""Accept "a scene" in the forms callers have at hand and return a :class:`pipeline.scene.scene.Scene`.

A loaded :class:`~pipeline.scene.scene.Scene` is used as it is; a path is loaded with :func:`pipeline.scene.scene.load_scene`; a bare trimesh mesh or
scene (tests, scripts) is wrapped as is, already assumed to be Z-up metres.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import trimesh

if TYPE_CHECKING:
    from pipeline.scene.scene import Scene


def as_scene(scene: Any) -> "Scene":
    """Return a scene object for ``scene``: an already loaded scene, a trimesh, or a path."""
    if isinstance(scene, (str, Path)):
        path = Path(scene)
        if not path.is_file():
            from pipeline.scene.formats import supported_formats_text

            raise FileNotFoundError(f"scene file not found: {path}; give the path of a file in one of: {supported_formats_text()}")
        from pipeline.scene.scene import load_scene

        return load_scene(path)
    if isinstance(scene, (trimesh.Trimesh, trimesh.Scene)):
        from pipeline.scene.scene import Scene

        if isinstance(scene, trimesh.Trimesh):
            parts = [scene]
        else:
            parts = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        return Scene(parts)
    from pipeline.scene.scene import Scene

    if isinstance(scene, Scene):
        return scene
    raise TypeError(f"cannot use {type(scene).__name__} as a scene; pass a scene file path or a loaded scene")
