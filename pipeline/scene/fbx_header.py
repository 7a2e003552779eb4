"""The axes and unit an FBX file's GlobalSettings header names (UpAxis, UnitScaleFactor, ...).

Read straight from the binary records, so both the FBX writer's checks and the scene loader
use one reader. A binary ``P`` record is: S name, S type, S label, S flags, then the value
(I int32 or D float64).
"""

from __future__ import annotations

import struct
from pathlib import Path

_UP = {(0, 1): "x", (0, -1): "-x", (1, 1): "y", (1, -1): "-y", (2, 1): "z", (2, -1): "-z"}
_UNITS = {100.0: "m", 1.0: "cm", 0.1: "mm", 2.54: "in", 30.48: "ft"}


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


def header_frame(path: str | Path) -> tuple[str, str] | None:
    """(up axis, unit) the header names, or None when it names no known pair."""
    values = read_frame_label(path)
    up = _UP.get((int(values.get("UpAxis", -1)), int(values.get("UpAxisSign", 1))))
    factor = values.get("UnitScaleFactor")
    unit = next((u for f, u in _UNITS.items() if factor is not None and abs(f - factor) < 1e-6), None)
    return (up, unit) if up and unit else None
