"""Binary FBX by converting our rigged GLB with the assimp 6 command-line tool.

No free FBX SDK writes skinned binary FBX; assimp >= 6 does (Debian's assimp 5.2 writes a
corrupt binary FBX, and Blender refuses ASCII FBX, so neither is used). assimp always
labels its output Y-up centimetres, so we hand it geometry already in the chosen frame and
then rewrite the GlobalSettings header values in place (same byte sizes) to name that
frame, which is what Blender, Maya and 3ds Max read to place and scale the file (and this
app's own loader, which knows its own files by the ``Creator`` text).

assimp writes each bone's current node transform as its bind transform, so its file of a
GLB with the rest-pose bind and a fitted node pose is a straight mesh under bent bones;
:mod:`pipeline.export.fbx_bind` writes the true bind transforms back, so the FBX has the
GLB's and USD's layout (rest pose = the body model's, bones posed = the fitted pose) and a
bone posed in Blender moves the same way in every format. :mod:`pipeline.export.fbx_materials`
makes its Phong materials import as the GLB's PBR ones.
"""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core import assimp_cli
from pipeline.core.atomic import write_bytes_atomic
from pipeline.export.axes_units import AxesUnits
from pipeline.export.bodies import ExportBody
from pipeline.export.errors import ExportError
from pipeline.export.fbx_bind import set_bind_pose
from pipeline.export.fbx_materials import fix_materials
from pipeline.export.gltf_skin import write_glb
from pipeline.scene.fbx_header import creator, own_creator
from pipeline.scene.fbx_header import read_frame_label  # noqa: F401 - one reader of the header, used by checks

_CM_PER_UNIT = {"m": 100.0, "cm": 1.0, "mm": 0.1}


def find_assimp() -> Path:
    """The assimp 6 CLI (see :mod:`pipeline.core.assimp_cli`); ExportError when it is missing."""
    exe = assimp_cli.find_assimp()
    if exe is None:
        raise ExportError(
            "FBX export needs the assimp 6 command-line tool, which was not found. Install it with "
            "`pip install cmeel-assimp` (Linux/macOS) or set GENZI_ASSIMP to an assimp >= 6 "
            "executable; meanwhile export GLB, which Blender, Maya and 3ds Max also import."
        )
    return exe


def run_assimp(args: Sequence[str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run the bundled assimp CLI with its library path set; raises ExportError on failure."""
    exe = find_assimp()
    try:
        proc = assimp_cli.run_assimp_cli(exe, args, timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExportError(f"Could not run assimp ({exe}): {exc}. Reinstall cmeel-assimp.") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ExportError(f"assimp failed ({' '.join(args[:1])}): {' / '.join(tail) or 'no message'}")
    return proc


def _set_property(data: bytearray, name: str, value: float | int) -> bool:
    """Overwrite one ``P`` entry of the FBX GlobalSettings Properties70 block in place.

    A binary P record is: S name, S type, S label, S flags, then the value (I int32 or
    D float64). We find the name string and step over the three strings after it."""
    key = b"S" + struct.pack("<I", len(name)) + name.encode()
    pos = data.find(key)
    if pos < 0:
        return False
    pos += len(key)
    for _ in range(3):
        if data[pos : pos + 1] != b"S":
            return False
        (length,) = struct.unpack_from("<I", data, pos + 1)
        pos += 5 + length
    code = data[pos : pos + 1]
    if code == b"I":
        struct.pack_into("<i", data, pos + 1, int(value))
    elif code == b"D":
        struct.pack_into("<d", data, pos + 1, float(value))
    else:
        return False
    return True


def label_frame(path: Path, frame: AxesUnits) -> None:
    """Make the FBX header say which axes and unit the geometry is in."""
    data = bytearray(path.read_bytes())
    if not data.startswith(b"Kaydara FBX Binary"):
        raise ExportError(f"{path} is not a binary FBX; the assimp build may be too old (need >= 6).")
    if frame.up == "y":  # Maya/Unity convention: Y up, Z front, X right
        axes = {"UpAxis": 1, "UpAxisSign": 1, "FrontAxis": 2, "FrontAxisSign": 1, "CoordAxis": 0, "CoordAxisSign": 1}
    else:  # Blender/3ds Max convention: Z up, -Y front, X right
        axes = {"UpAxis": 2, "UpAxisSign": 1, "FrontAxis": 1, "FrontAxisSign": -1, "CoordAxis": 0, "CoordAxisSign": 1}
    values = dict(axes, UnitScaleFactor=_CM_PER_UNIT[frame.units], OriginalUnitScaleFactor=_CM_PER_UNIT[frame.units])
    for name, value in values.items():
        if not _set_property(data, name, value):
            raise ExportError(f"Unexpected FBX header from assimp (no {name}); FBX not written.")
    # say who wrote it (same length, so no offset moves): a re-opened export then trusts its header
    original = creator(path)
    if original:
        data = bytearray(bytes(data).replace(original.encode(), own_creator(original).encode()))
    write_bytes_atomic(path, bytes(data))


def _bind_transforms(bodies: Sequence[ExportBody], frame: AxesUnits) -> dict[str, np.ndarray]:
    """Bone node name (as the GLB names it) -> its world bind transform in ``frame``."""
    rigged = [b for b in bodies if b.skin is not None]
    out = {}
    for body in rigged:
        prefix = f"{body.name}_" if len(rigged) > 1 else ""
        for name, matrix in zip(body.skin.bone_names, frame.rigid(body.skin.bind_matrices)):
            out[f"{prefix}{name}"] = matrix
    return out


def _roughness_by_material(glb: Path) -> dict[str, float]:
    import pygltflib

    gltf = pygltflib.GLTF2().load(str(glb))
    return {m.name: float(m.pbrMetallicRoughness.roughnessFactor) for m in gltf.materials
            if m.name and m.pbrMetallicRoughness is not None and m.pbrMetallicRoughness.roughnessFactor is not None}


def write_fbx(
    bodies: Sequence[ExportBody],
    path: str | Path,
    *,
    frame: AxesUnits,
    static_meshes: Sequence[tuple[str, object]] = (),
) -> list[Path]:
    """Binary FBX 7.5 with armature, skin clusters and the fitted pose (via GLB + assimp)."""
    path = Path(path)
    exe = find_assimp()  # fail before any work when it is missing
    with tempfile.TemporaryDirectory(prefix="genzi_fbx_") as tmp:
        glb = Path(tmp) / "bodies.glb"
        write_glb(bodies, glb, frame=frame, static_meshes=static_meshes)
        out = Path(tmp) / "bodies.fbx"
        run_assimp(["export", str(glb), str(out), "-ffbx"])
        if not out.is_file() or out.stat().st_size == 0:
            raise ExportError(f"assimp ({exe}) wrote no FBX file.")
        label_frame(out, frame)
        data = bytearray(out.read_bytes())
        fix_materials(data, _roughness_by_material(glb))
        set_bind_pose(data, _bind_transforms(bodies, frame))
        write_bytes_atomic(out, bytes(data))
        shutil.copyfile(out, path)
    return [path]
