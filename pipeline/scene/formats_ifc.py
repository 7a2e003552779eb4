"""IFC 2x3 / IFC4 designs (Revit, ArchiCAD, Vectorworks) read with IfcOpenShell's geometry iterator.

The iterator tessellates every product on several threads; each element keeps its class and
name ("IfcWall 'Basic Wall' #41") and its storey so it can be listed and picked, and its
colours come from the IFC surface styles. Spaces and openings are read but kept apart, listed
and hidden: they are volumes of air, not surfaces a person could touch. IFC is Z-up; the project's length unit is read from the file and
geometry stays in it (``convert-back-units``) so the unit is reported, not guessed. Very large
models are grouped per storey and class so the viewport gets hundreds of parts, not a hundred thousand.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import trimesh

from pipeline.scene.raw import Declared, FormatInfo, HiddenPart, RawScene, Report, SceneLoadError, coloured_mesh
from pipeline.scene.units import declared_unit

HIDDEN_CLASSES = ("IfcSpace", "IfcOpeningElement")
#: Above this many elements, parts are merged per IFC class (one viewport actor each).
GROUP_ABOVE_ELEMENTS = 3000
DEFAULT_RGBA = (0.8, 0.8, 0.8, 1.0)
#: CGAL's simple kernel first, OpenCascade where it cannot (booleans): measured 20x faster on
#: triangulated face sets (furniture, families) than OpenCascade alone, which sews them into Breps.
GEOMETRY_LIBRARY = "hybrid-cgal-simple-opencascade"


def _open(path: Path):
    import ifcopenshell

    try:
        return ifcopenshell.open(str(path))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser raises several types for damaged files
        raise SceneLoadError(
            f"'{path.name}' could not be read as IFC ({type(exc).__name__}: {exc}). Export it again "
            "from your BIM tool as IFC 2x3 or IFC4 (STEP, .ifc), not ifcXML or ifcZIP."
        ) from exc


def _unit(model) -> tuple[float, str]:
    """(metres per project length unit, its name), from IfcUnitAssignment."""
    import ifcopenshell.util.unit as ifc_unit

    scale = float(ifc_unit.calculate_unit_scale(model))
    unit = ifc_unit.get_project_unit(model, "LENGTHUNIT")
    if unit is None:
        return scale, "metres (no length unit in the file: IFC's default)"
    prefix = getattr(unit, "Prefix", None) or ""
    name = getattr(unit, "Name", None) or "unit"
    return scale, f"{prefix}{name}".lower() if unit.is_a("IfcSIUnit") else str(name).lower()


def _settings():
    import ifcopenshell.geom

    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    settings.set("convert-back-units", True)  # stay in the project unit; the scene converts once
    settings.set("apply-default-materials", True)
    return settings


def _element_mesh(shape) -> tuple[trimesh.Trimesh, str]:
    geo = shape.geometry
    vertices = np.frombuffer(geo.verts_buffer, dtype=np.float64).reshape(-1, 3)
    faces = np.frombuffer(geo.faces_buffer, dtype=np.int32).reshape(-1, 3)
    ids = np.frombuffer(geo.material_ids_buffer, dtype=np.int32)
    palette = np.array([_rgba(m) for m in geo.materials] or [DEFAULT_RGBA], dtype=np.float64)
    colours = palette[np.clip(ids, 0, len(palette) - 1)] if len(ids) == len(faces) else palette[:1]
    label = f"{shape.type} '{shape.name}' #{shape.id}" if shape.name else f"{shape.type} #{shape.id}"
    return coloured_mesh(vertices.copy(), faces.astype(np.int64), colours), label


def _rgba(style) -> tuple[float, float, float, float]:
    d = style.diffuse
    alpha = 1.0 - float(style.transparency) if np.isfinite(style.transparency) else 1.0
    return (float(d.r()), float(d.g()), float(d.b()), alpha)


def storeys(model) -> tuple[dict[int, str], dict[str, float]]:
    """(element id -> the storey (or site/building) holding it, storey name -> elevation).

    Containment is read once from the relationships, so elements inside an aggregate (stair
    flights), spaces aggregated to a storey and openings in a wall get their host's storey.
    """
    label: dict[int, str] = {}
    elevation: dict[str, float] = {}
    levels = [e for c in ("IfcSite", "IfcBuilding", "IfcBuildingStorey") for e in model.by_type(c)]
    for storey in levels:
        name = str(storey.Name or f"{storey.is_a()} #{storey.id()}")
        label[storey.id()] = name
        if storey.is_a("IfcBuildingStorey"):
            elevation[name] = float(storey.Elevation or 0.0)
    holder: dict[int, int] = {}
    for rel in model.by_type("IfcRelContainedInSpatialStructure"):
        for element in rel.RelatedElements or ():
            holder[element.id()] = rel.RelatingStructure.id()
    for rel in model.by_type("IfcRelAggregates"):
        for element in rel.RelatedObjects or ():
            holder.setdefault(element.id(), rel.RelatingObject.id())
    for rel in model.by_type("IfcRelVoidsElement"):
        holder.setdefault(rel.RelatedOpeningElement.id(), rel.RelatingBuildingElement.id())
    out: dict[int, str] = {}
    for element in holder:
        seen, current = 0, holder[element]
        while current in holder and current not in label and seen < 32:
            current, seen = holder[current], seen + 1
        if current in label:
            out[element] = label[current]
    return out, elevation


def read_ifc(path: Path, fmt: FormatInfo, report: Report) -> RawScene:
    """Every product with a body representation, in the project unit, Z-up; spaces and
    openings are read too but kept apart (listed, hidden)."""
    import ifcopenshell.geom

    report(0.02, f"Reading {path.name} (IFC)")
    model = _open(path)
    metres, unit_name = _unit(model)
    scale, unit_key, unit_reason = declared_unit(metres, unit_name)
    products = len(model.by_type("IfcProduct"))
    hidden_count = sum(len(model.by_type(c)) for c in HIDDEN_CLASSES)
    storey_of, elevation = storeys(model)
    report(0.1, f"Tessellating {products:,} IFC elements ({model.schema})")
    iterator = ifcopenshell.geom.iterator(_settings(), model, max(1, os.cpu_count() or 1),
                                          geometry_library=GEOMETRY_LIBRARY)
    if not iterator.initialize():
        raise SceneLoadError(
            f"'{path.name}' is a valid {model.schema} file with {products:,} elements but no 3D "
            "geometry. Export it again with 3D body representations (in Revit: IFC export, "
            "'Export 3D geometry'; in ArchiCAD: the 'Model' view with element geometry)."
        )
    grouped = products - hidden_count > GROUP_ABOVE_ELEMENTS
    # threads finish in any order: sorted below by storey elevation, then id
    elements: list[tuple[int, trimesh.Trimesh, str, tuple[str, ...]]] = []
    hidden: list[tuple[int, trimesh.Trimesh, str, tuple[str, ...]]] = []
    groups: dict[tuple[str, str], list[trimesh.Trimesh]] = defaultdict(list)
    count = 0
    while True:
        shape = iterator.get()
        mesh, label = _element_mesh(shape)
        storey = storey_of.get(int(shape.id), "(no storey)")
        if len(mesh.faces):
            if scale != 1.0:
                mesh.apply_scale(scale)
            if shape.type in HIDDEN_CLASSES:
                hidden.append((int(shape.id), mesh, label, (storey, shape.type)))
            elif grouped:
                groups[(storey, shape.type)].append(mesh)
            else:
                elements.append((int(shape.id), mesh, label, (storey, shape.type)))
        count += 1
        if count % 200 == 0:
            report(0.1 + 0.8 * iterator.progress() / 100.0, f"Tessellated {count:,} IFC elements")
        if not iterator.next():
            break

    def order(item):
        return (elevation.get(item[3][0], float("inf")), item[0])

    elements.sort(key=order)
    hidden.sort(key=order)
    meshes = [mesh for _, mesh, _, _ in elements]
    names = [label for _, _, label, _ in elements]
    paths = [group for _, _, _, group in elements]
    for (storey, ifc_class), parts in sorted(groups.items(), key=lambda kv: (elevation.get(kv[0][0], float("inf")), kv[0])):
        report(0.92, f"Merging {ifc_class} of {storey}")
        meshes.append(trimesh.util.concatenate(parts))
        names.append(f"{ifc_class} ({len(parts):,} elements)")
        paths.append((storey,))
    kept_apart = [HiddenPart(mesh, label, group) for _, mesh, label, group in hidden]
    if grouped:
        kept_apart = _grouped_hidden(kept_apart)
    notes = [f"{model.schema}: {count - len(hidden):,} elements with geometry, {hidden_count:,} spaces and "
             "openings hidden (listed in the outline)."]
    if grouped:
        notes.append(f"More than {GROUP_ABOVE_ELEMENTS:,} elements: parts are grouped per storey and IFC class.")
    declared = Declared("z", unit_key, ("IFC is Z-up", unit_reason))
    return RawScene(meshes, names, fmt, generator=_generator(model), notes=notes, declared=declared,
                    groups=paths, hidden=kept_apart)


def _grouped_hidden(parts: list[HiddenPart]) -> list[HiddenPart]:
    """Spaces and openings of a very large model merged per storey and class, like the rest."""
    by_group: dict[tuple[str, ...], list[trimesh.Trimesh]] = defaultdict(list)
    for part in parts:
        by_group[part.group].append(part.mesh)
    return [HiddenPart(trimesh.util.concatenate(meshes), f"{group[-1]} ({len(meshes):,} elements)", group[:-1])
            for group, meshes in by_group.items()]


def _generator(model) -> str | None:
    apps = model.by_type("IfcApplication")
    return str(apps[0].ApplicationFullName) if apps else None
