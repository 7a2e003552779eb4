"""Reading mesh files into raw trimesh geometry (file coordinates, nothing normalised yet).

One job: turn a path into a list of ``trimesh.Trimesh`` with their visuals and the node
transforms of the file applied, or raise ``SceneLoadError`` with a message a user can act on.
Unit and up-axis handling happen afterwards in ``pipeline.scene.scene``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import trimesh

from pipeline.core.assimp_cli import find_assimp, run_assimp_cli
from pipeline.scene.raw import Declared, FormatInfo, RawScene, SceneLoadError
from pipeline.scene.triangle_meshes import to_triangle_meshes

__all__ = ["FORMATS", "SUPPORTED_EXTENSIONS", "Declared", "FormatInfo", "RawScene", "SceneLoadError",
           "format_for", "frame_declared", "node_groups", "read_raw", "supported_formats_text", "to_triangle_meshes"]


FORMATS: dict[str, FormatInfo] = {
    ".glb": FormatInfo("glTF binary", "y", "m", True),
    ".gltf": FormatInfo("glTF", "y", "m", True),
    ".obj": FormatInfo("Wavefront OBJ", "y", "m", False),
    ".ply": FormatInfo("PLY", "z", "m", False),
    ".stl": FormatInfo("STL", "z", "m", False),
    ".fbx": FormatInfo("FBX", "y", "m", False),
    ".ifc": FormatInfo("IFC", "z", "m", True, reads_own_frame=True),
    ".3dm": FormatInfo("Rhino 3dm", "z", "m", True, reads_own_frame=True),
    ".dae": FormatInfo("Collada", "y", "m", True, reads_own_frame=True),
    ".usd": FormatInfo("USD", "y", "m", True, reads_own_frame=True),
    ".usda": FormatInfo("USD", "y", "m", True, reads_own_frame=True),
    ".usdc": FormatInfo("USD", "y", "m", True, reads_own_frame=True),
    ".usdz": FormatInfo("USDZ", "y", "m", True, reads_own_frame=True),
}

OWN_GENERATOR = "GenZI Desktop"  # the asset generator this app's glTF writer records

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(FORMATS)


def supported_formats_text() -> str:
    """Every openable format in one line, from :data:`FORMATS` (the one list)."""
    by_name: dict[str, list[str]] = {}
    for ext, info in FORMATS.items():
        by_name.setdefault(info.name if info.name != "USDZ" else "USD", []).append(ext)
    return "; ".join(f"{name} ({', '.join(exts)})" for name, exts in by_name.items())


def format_for(path: Path) -> FormatInfo:
    """The format of ``path`` from its extension, or a SceneLoadError listing what is supported."""
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise SceneLoadError(
            f"'{path.name}' has the extension '{path.suffix or '(none)'}', which cannot be opened. "
            f"Supported formats: {supported_formats_text()}. "
            "Export the design from your modelling tool in one of them."
        )
    return FORMATS[ext]


def run_assimp(args: list[str], timeout: float = 600.0) -> subprocess.CompletedProcess:
    """Run the assimp CLI with its bundled libraries on the library path."""
    binary = find_assimp()
    if binary is None:
        raise SceneLoadError(
            "FBX files need the assimp 6 converter, which was not found. Install it with "
            "'pip install cmeel-assimp' into the app's environment (or set GENZI_ASSIMP to an "
            "assimp 6 executable), or export the design as GLB or OBJ instead."
        )
    return run_assimp_cli(binary, args, timeout)


def _convert_fbx_to_glb(path: Path, workdir: Path) -> Path:
    out = workdir / (path.stem + ".glb")
    try:
        result = run_assimp(["export", str(path), str(out), "-f", "glb2"])
    except subprocess.TimeoutExpired as exc:
        raise SceneLoadError(f"Converting '{path.name}' from FBX took too long and was stopped.") from exc
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()
        reason = detail[-1] if detail else f"exit code {result.returncode}"
        raise SceneLoadError(
            f"'{path.name}' could not be read as FBX ({reason}). The file may be damaged or an "
            "ASCII/very old FBX; re-export it as binary FBX 7.x, GLB or OBJ."
        )
    return out


def _check_file(path: Path) -> None:
    if not path.exists():
        raise SceneLoadError(f"'{path}' does not exist. Check the path or pick the file again.")
    if path.is_dir():
        raise SceneLoadError(f"'{path}' is a folder, not a mesh file. Pick a file in one of: {supported_formats_text()}.")
    if path.stat().st_size == 0:
        raise SceneLoadError(f"'{path.name}' is empty (0 bytes). Export the design again.")


def node_groups(loaded, names: list[str]) -> list[tuple[str, ...]] | None:
    """Each part's parent nodes (outermost first) in a trimesh scene graph; None when flat."""
    if not isinstance(loaded, trimesh.Scene):
        return None
    parents = loaded.graph.transforms.parents
    base = loaded.graph.base_frame
    out = []
    for name in names:
        chain, parent = [], parents.get(name)
        while parent is not None and parent != base and len(chain) < 64:
            chain.append(str(parent))
            parent = parents.get(parent)
        out.append(tuple(reversed(chain)))
    return out if any(out) else None


def read_raw(path: str | os.PathLike, progress=None) -> RawScene:
    """Read ``path`` into raw geometry. ``progress(fraction, message)`` is optional."""
    path = Path(path).expanduser()
    fmt = format_for(path)
    _check_file(path)

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(float(fraction), message)

    if fmt.reads_own_frame:
        return _checked(_read_own_frame(path, report), path)
    notes: list[str] = []
    generator = None
    declared = None
    with tempfile.TemporaryDirectory(prefix="genzi_scene_") as tmp:
        source = path
        if fmt.name == "FBX":
            report(0.02, f"Converting {path.name} from FBX")
            source = _convert_fbx_to_glb(path, Path(tmp))
            notes.append("Converted from FBX with assimp.")
        report(0.05, f"Reading {path.name}")
        kwargs = {"process": False}
        if source.suffix.lower() in (".glb", ".gltf"):
            kwargs["force"] = "scene"
        if source is not path:
            # textures the FBX references by file name live beside the FBX, not in the temp folder
            kwargs["resolver"] = trimesh.resolvers.FilePathResolver(str(path))
        try:
            loaded = trimesh.load(str(source), **kwargs)
        except SceneLoadError:
            raise
        except MemoryError as exc:
            raise SceneLoadError(f"Not enough memory to read '{path.name}'. Close other programs or simplify the design.") from exc
        except Exception as exc:  # trimesh raises many types for damaged files
            raise SceneLoadError(
                f"'{path.name}' could not be read as {fmt.name} ({type(exc).__name__}: {exc}). "
                "The file may be damaged or not really a mesh; export it again from your modelling tool."
            ) from exc
        if isinstance(loaded, trimesh.Scene):
            generator = (loaded.metadata or {}).get("generator") if isinstance(loaded.metadata, dict) else None
            # the glTF asset block lands in metadata on some trimesh versions
            if generator is None:
                generator = (loaded.metadata or {}).get("asset", {}).get("generator") if isinstance(loaded.metadata, dict) else None
        report(0.3, "Collecting geometry")
        meshes, names, more_notes = to_triangle_meshes(loaded, path, fmt)
        groups = node_groups(loaded, names)
        notes += more_notes
        if source.suffix.lower() in (".glb", ".gltf"):
            from pipeline.scene.gltf_pose import asset_generator

            notes += _pose_skinned(source, meshes, names)
            generator = generator or (asset_generator(source) if source is path else None)
        if fmt.name == "FBX":
            declared, more = _fbx_frame(path, meshes)
            notes += more
        if generator == OWN_GENERATOR and fmt.name.startswith("glTF"):
            # this app's own export: glTF's Y-up metres for certain, nothing to guess
            declared = Declared("y", "m", ("written by GenZI Desktop in glTF's Y-up metres",))
        # Textures must be decoded before the temp folder (FBX conversion) goes away.
        for m in meshes:
            material = getattr(m.visual, "material", None)
            image = getattr(material, "image", None) or getattr(material, "baseColorTexture", None)
            if image is not None and hasattr(image, "load"):
                image.load()
    return _checked(RawScene(geometries=meshes, names=names, format=fmt, generator=generator, notes=notes,
                             declared=declared, groups=groups), path)


def frame_declared(path: str | os.PathLike) -> bool:
    """True when a file of a format that may not say its frame does (an FBX header from a tool
    that writes the true unit): the desktop then opens it without asking."""
    path = Path(path)
    if path.suffix.lower() != ".fbx" or not path.is_file():
        return False
    from pipeline.scene.fbx_header import OWN_CREATOR_PREFIX, creator, header_frame

    try:
        written_by = creator(path) or ""
        return header_frame(path) is not None and (
            "Assimp" not in written_by or written_by.startswith(OWN_CREATOR_PREFIX))
    except OSError:
        return False


def _fbx_frame(path: Path, meshes: list[trimesh.Trimesh]) -> tuple[Declared | None, list[str]]:
    """The frame an FBX's GlobalSettings header names (UpAxis, UnitScaleFactor), as assimp reads it.

    assimp applies the header's axes when it converts (its root node turns them into Y-up), so
    the converted numbers are Y-up in the header's unit. Modelling tools and this app write
    the frame they used; assimp itself labels every file Y-up centimetres whatever it holds
    (an OBJ it converted keeps its Z-up numbers), so an FBX assimp wrote is judged from its
    geometry instead, and the desktop asks.
    """
    from pipeline.scene.fbx_header import OWN_CREATOR_PREFIX, creator, header_frame
    from pipeline.scene.units import UNIT_NAMES, declared_unit

    header = header_frame(path)
    if header is None:
        return None, []
    up, metres = header
    scale, unit, unit_reason = declared_unit(metres, f"UnitScaleFactor {metres * 100:g} cm")
    written_by = creator(path) or ""
    axes = f"the FBX header names {up.upper()}-up (assimp turns it into Y-up)"
    if "Assimp" in written_by and not written_by.startswith(OWN_CREATOR_PREFIX):
        return None, [f"Written by {written_by}, which labels every file Y-up centimetres: up axis and "
                      "unit are judged from the geometry."]
    if scale != 1.0:
        for mesh in meshes:
            mesh.apply_scale(scale)
    who = "GenZI Desktop" if written_by.startswith(OWN_CREATOR_PREFIX) else (written_by or "the writer")
    return Declared("y", unit, (axes, unit_reason.replace("the file declares its unit", f"{who} declares the unit")
                                + f" ({UNIT_NAMES.get(unit, unit)})")), []


def _read_own_frame(path: Path, report) -> RawScene:
    """Formats whose files record their own unit and up axis, each read by its own library."""
    ext = path.suffix.lower()
    if ext == ".ifc":
        from pipeline.scene.formats_ifc import read_ifc as reader
    elif ext == ".3dm":
        from pipeline.scene.formats_3dm import read_3dm as reader
    elif ext == ".dae":
        from pipeline.scene.formats_collada import read_collada as reader
    else:
        from pipeline.scene.formats_usd import read_usd as reader
    try:
        return reader(path, FORMATS[ext], report)
    except (SceneLoadError, MemoryError):
        raise
    except ImportError as exc:
        raise SceneLoadError(
            f"Opening {FORMATS[ext].name} files needs the '{exc.name}' package, which is not installed. "
            "Reinstall GenZI Desktop (it ships with it) or export the design as GLB."
        ) from exc


def _checked(raw: RawScene, path: Path) -> RawScene:
    """Drop parts without triangles; refuse files with none, or with non-finite coordinates."""
    meshes, names = raw.geometries, raw.names
    groups = raw.groups if raw.groups is not None else [()] * len(meshes)
    # Drop parts without triangles (lines, empty nodes)
    kept = [(m, n, g) for m, n, g in zip(meshes, names, groups) if len(m.faces) > 0 and len(m.vertices) > 0]
    if not kept:
        raise SceneLoadError(
            f"'{path.name}' contains no triangles. It may hold only points, lines or empty "
            "objects; export the surfaces as a triangle mesh."
        )
    meshes = [m for m, _, _ in kept]
    names = [n for _, n, _ in kept]
    if raw.groups is not None:
        raw.groups = [g for _, _, g in kept]
    for m in meshes:
        if not np.all(np.isfinite(m.vertices)):
            raise SceneLoadError(
                f"'{path.name}' has vertex coordinates that are not numbers (NaN or infinity). "
                "Repair the mesh in your modelling tool and export it again."
            )
    raw.geometries, raw.names = meshes, names
    return raw


def _pose_skinned(source: Path, meshes: list[trimesh.Trimesh], names: list[str]) -> list[str]:
    """Replace rest-pose vertices of skinned parts by their posed positions (trimesh skips skins)."""
    from pipeline.scene.gltf_pose import posed_skinned_meshes

    try:
        posed = posed_skinned_meshes(source)
    except Exception as exc:  # noqa: BLE001 - posing is a refinement; the rest pose still loads
        return [f"Skinned parts are shown in their rest pose (the skin could not be read: {exc})."]
    count = 0
    for mesh, name in zip(meshes, names):
        vertices = posed.get(name)
        if vertices is not None and len(vertices) == len(mesh.vertices):
            mesh.vertices = vertices
            count += 1
    return [f"{count} skinned part(s) shown in their posed state."] if count else []
