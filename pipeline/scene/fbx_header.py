"""The axes and unit an FBX file's GlobalSettings header names (UpAxis, UnitScaleFactor, ...).

Read straight from the binary records, so both the FBX writer's checks and the scene loader
use one reader. A binary ``P`` record is: S name, S type, S label, S flags, then the value
(I int32 or D float64).
"""

from __future__ import annotations

import struct
from pathlib import Path

_UP = {(0, 1): "x", (0, -1): "-x", (1, 1): "y", (1, -1): "-y", (2, 1): "z", (2, -1): "-z"}


def read_frame_label(path: str | Path) -> dict[str, float]:
    """The axis/unit values of a binary FBX header: UpAxis, UpAxisSign, UnitScaleFactor, ..."""
    data = Path(path).read_bytes()
    out: dict[str, float] = {}
    for name in ("UpAxis", "UpAxisSign", "FrontAxis", "FrontAxisSign", "CoordAxis", "UnitScaleFactor"):
        key = b"S" + struct.pack("<I", len(name)) + name.encode()
        pos = data.find(key)
        if pos < 0:
            continue
        try:
            pos += len(key)
            for _ in range(3):
                (length,) = struct.unpack_from("<I", data, pos + 1)
                pos += 5 + length
            code = data[pos : pos + 1]
            out[name] = struct.unpack_from("<i" if code == b"I" else "<d", data, pos + 1)[0]
        except struct.error:
            continue
    return out


def header_frame(path: str | Path) -> tuple[str, float] | None:
    """(up axis, metres per file unit) the header names, or None when it names no known axis."""
    values = read_frame_label(path)
    up = _UP.get((int(values.get("UpAxis", -1)), int(values.get("UpAxisSign", 1))))
    factor = values.get("UnitScaleFactor")  # centimetres per file unit
    if up is None or factor is None or not factor > 0:
        return None
    return up, float(factor) / 100.0


#: What an FBX written by this app says it was created by (same length as assimp's text).
OWN_CREATOR_PREFIX = "GenZI Desktop via "


def creator(path: str | Path) -> str | None:
    """The header's ``Creator`` text (the program that wrote the file), or None."""
    data = Path(path).read_bytes()[:4096]
    pos = data.find(b"\x07CreatorS")
    if pos < 0:
        return None
    try:
        (length,) = struct.unpack_from("<I", data, pos + 9)
    except struct.error:
        return None
    return data[pos + 13 : pos + 13 + length].decode("utf-8", "replace")


def own_creator(original: str) -> str:
    """The ``Creator`` text this app writes in place of ``original`` (same byte length)."""
    return (OWN_CREATOR_PREFIX + original)[: len(original)]
