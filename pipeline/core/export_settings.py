"""The export section of the settings tree: which file, in which frame, people in which look.

Only data lives here. The run's tree (:mod:`pipeline.generation.settings`) holds this section,
and the export stage sits above the run, so the section's type sits in ``core`` where both can
import it; the names each field may take, and turning ``None`` into the format's or the
application's own frame, are :mod:`pipeline.export.options`. The desktop's export dialog, the
flags of ``genzi export`` and a run's ``config.json`` all read and write this one type; each
field's ``help`` is the text the command line and the dialog's tooltips show.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _option(default, help_text: str):
    return field(default=default, metadata={"help": help_text})


@dataclass
class ExportSettings:
    """Defaults: the format from the output file's name, its own frame, the run's recorded look."""

    format: str | None = _option(None, "file format (default: from the output file's suffix; obj when there is none)")
    app: str | None = _option(None, "target application: the axes and unit its importer expects for OBJ, PLY and FBX")
    up: str | None = _option(None, "up axis (default: the application's, else the format's: obj/ply z, glb/fbx y)")
    units: str | None = _option(None, "unit (default: the application's, else the format's: m; fbx cm)")
    with_scene: bool = _option(False, "put the scene's meshes in the same file")
    style: str | None = _option(None, "figure style (default: the run's recorded style, else clothed; "
                                      "bare, in exports: the plain body)")
    outfit: str | None = _option(None, "suit to wear instead of the prompt's choice")
    hair: str | None = _option(None, "hair style instead of the prompt's choice")
    colours: str | None = _option(None, "clothed colours from the run's paintings (default) or the outfit's own")

    def problems(self) -> list[str]:
        """Values of the wrong kind; which names a field may take is checked where they are known."""
        out = []
        for name, value in vars(self).items():
            if name == "with_scene":
                if not isinstance(value, bool):
                    out.append("export.with_scene must be true or false")
            elif value is not None and not isinstance(value, str):
                out.append(f"export.{name} must be a name or left unset")
        return out


#: The look of the people, the part of the section a run records for its exports.
APPEARANCE_FIELDS = ("style", "outfit", "hair", "colours")
