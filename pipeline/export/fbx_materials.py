"""Material values in assimp's binary FBX made to mean what the GLB's PBR materials mean.

assimp writes a Phong material template with ``ReflectionFactor`` 1 and ``SpecularFactor``
1, and turns glTF roughness r into ``Shininess`` 1000 (1 - r)^2. Blender's FBX importer
reads ``ReflectionFactor`` as metallic and ``SpecularFactor`` x 2 as specular, and gets
roughness back as 1 - sqrt(Shininess) / 10: every person came in as a fully metallic,
mirror-specular surface (skin with roughness 0), rendering far darker than the same GLB.
Maya and 3ds Max multiply the factor by the (black) reflection colour, so a factor of 0
changes nothing there. Values are overwritten in place (same byte sizes), so no offset in
the file moves.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Mapping

# what a neutral dielectric imports as in Blender: metallic 0, specular 0.5 (glTF's default)
TEMPLATE_VALUES = {"ReflectionFactor": 0.0, "SpecularFactor": 0.25}
_ARRAY_CODES = b"fdlib"
_SCALAR_SIZES = {b"Y": 2, b"C": 1, b"I": 4, b"F": 4, b"D": 8, b"L": 8}


@dataclass
class _Node:
    name: bytes
    props: list[tuple[bytes, int, object]]  # (type code, offset of the value, decoded value or None)
    children: list["_Node"] = field(default_factory=list)


def _read_nodes(data: bytes, pos: int, end: int, wide: bool) -> list[_Node]:
    nodes = []
    head = "<QQQB" if wide else "<IIIB"
    size = struct.calcsize(head)
    while pos + size <= end:
        node_end, count, _, name_len = struct.unpack_from(head, data, pos)
        if node_end == 0:  # the null record closing a list of children
            break
        pos += size
        name = data[pos:pos + name_len]
        pos += name_len
        props = []
        for _ in range(count):
            code = data[pos:pos + 1]
            pos += 1
            if code in (b"S", b"R"):
                (length,) = struct.unpack_from("<I", data, pos)
                props.append((code, pos + 4, data[pos + 4:pos + 4 + length]))
                pos += 4 + length
            elif code in _SCALAR_SIZES:
                value = struct.unpack_from({b"Y": "<h", b"C": "<b", b"I": "<i", b"F": "<f", b"D": "<d",
                                            b"L": "<q"}[code], data, pos)[0]
                props.append((code, pos, value))
                pos += _SCALAR_SIZES[code]
            elif code and code[0] in _ARRAY_CODES:
                _, _, compressed = struct.unpack_from("<III", data, pos)
                props.append((code, pos, None))
                pos += 12 + compressed
            else:
                raise ValueError(f"unknown FBX property type {code!r} at byte {pos}")
        node = _Node(name, props)
        if pos < node_end:
            node.children = _read_nodes(data, pos, node_end, wide)
        nodes.append(node)
        pos = node_end
    return nodes


def read_fbx_nodes(data: bytes) -> list[_Node]:
    """The top-level nodes of a binary FBX (values decoded, arrays skipped)."""
    (version,) = struct.unpack_from("<I", data, 23)
    return _read_nodes(data, 27, len(data), wide=version >= 7500)


def _child(node: _Node, name: bytes) -> list[_Node]:
    return [c for c in node.children if c.name == name]


def _set_p(data: bytearray, p: _Node, value: float) -> None:
    code, offset, _ = p.props[4]
    fmt = {b"D": "<d", b"F": "<f", b"I": "<i", b"L": "<q"}.get(code)
    if fmt is None:
        return
    struct.pack_into(fmt, data, offset, int(value) if fmt in ("<i", "<q") else float(value))


def _properties(node: _Node) -> list[_Node]:
    return [p for block in _child(node, b"Properties70") for p in _child(block, b"P") if len(p.props) >= 5]


def fix_materials(data: bytearray, roughness: Mapping[str, float]) -> int:
    """Set the material template's reflection and specular factors to a plain dielectric's and
    each material's shininess to the roughness it had (``roughness``: material name -> r in
    the GLB). Returns how many values were changed."""
    changed = 0
    for top in read_fbx_nodes(bytes(data)):
        if top.name == b"Definitions":
            for kind in _child(top, b"ObjectType"):
                if kind.props and kind.props[0][2] == b"Material":
                    for template in _child(kind, b"PropertyTemplate"):
                        for p in _properties(template):
                            name = p.props[0][2].decode(errors="replace")
                            if name in TEMPLATE_VALUES:
                                _set_p(data, p, TEMPLATE_VALUES[name])
                                changed += 1
        elif top.name == b"Objects":
            for material in _child(top, b"Material"):
                label = material.props[1][2].split(b"\x00\x01")[0].decode(errors="replace")
                if label not in roughness:
                    continue
                shininess = (10.0 * (1.0 - float(roughness[label]))) ** 2  # Blender: r = 1 - sqrt(s) / 10
                for p in _properties(material):
                    if p.props[0][2] in (b"Shininess", b"ShininessExponent"):
                        _set_p(data, p, shininess)
                        changed += 1
    return changed
