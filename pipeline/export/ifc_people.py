"""People written back into a copy of the architect's IFC, where they keep working (Revit,
ArchiCAD, BlenderBIM, Solibri).

Each person becomes an ``IfcBuildingElementProxy`` (ObjectType "Person", the prompt as its
name) with a mesh body representation (IFC4 face set, or a faceted Brep in IFC 2x3) and a
surface style, contained in the storey whose elevation is the highest at or below their
feet. Coordinates come in the app's Z-up metres, which is the IFC world frame in metres
because the IFC reader keeps it; they are written in the project's length unit. The
original file is read, never written: the copy is written atomically to another path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core.atomic import write_file_atomic
from pipeline.export.bodies import ExportBody
from pipeline.export.errors import ExportError
from pipeline.export.gltf_skin import BODY_COLOR

PERSON_TYPE = "Person"


def check_copy_target(original: Path, out: Path, suffix: str) -> None:
    """Refuse to write over the opened design, or in a format the reader will not take."""
    if not original.is_file():
        raise ExportError(f"The design to write people into, {original}, does not exist. Open or pick it again.")
    if out.suffix.lower() != suffix:
        raise ExportError(f"Write the copy with the design's own extension: {out.name} should end in {suffix}.")
    if out.exists() and out.resolve() == original.resolve():
        raise ExportError(
            f"{out.name} is the design itself. People are written into a copy: choose another file name "
            f"(for example {original.stem}_people{suffix})."
        )


def storey_elevations(model) -> list[tuple[float, object]]:
    """(elevation in metres, storey) for every IfcBuildingStorey, lowest first."""
    import ifcopenshell.util.placement as placement
    import ifcopenshell.util.unit as ifc_unit

    scale = ifc_unit.calculate_unit_scale(model)
    out = []
    for storey in model.by_type("IfcBuildingStorey"):
        if storey.ObjectPlacement is not None:
            z = float(placement.get_local_placement(storey.ObjectPlacement)[2, 3]) * scale
        else:
            z = float(storey.Elevation or 0.0) * scale
        out.append((z, storey))
    return sorted(out, key=lambda item: item[0])


def storey_for(storeys: list[tuple[float, object]], feet_z: float, tolerance: float = 0.3):
    """The storey a person standing at ``feet_z`` (metres) is on; None for a model without one."""
    chosen = storeys[0][1] if storeys else None
    for z, storey in storeys:
        if z <= feet_z + tolerance:
            chosen = storey
    return chosen


def _first(model, ifc_class: str):
    found = model.by_type(ifc_class)
    return found[0] if found else None


def ensure_owner(model) -> None:
    """IFC 2x3 needs an owner history on every new element: use the file's own person and
    application (GenZI Desktop's when it has none). IfcOpenShell asks for them through two
    module-level hooks, set here to read them from whichever file is being edited."""
    import ifcopenshell.api as api
    import ifcopenshell.api.owner.settings as owner

    if _first(model, "IfcPersonAndOrganization") is None:
        person = api.run("owner.add_person", model, identification="GenZI", family_name="Desktop", given_name="GenZI")
        org = api.run("owner.add_organisation", model, identification="GenZI", name="GenZI Desktop")
        api.run("owner.add_person_and_organisation", model, person=person, organisation=org)
    if _first(model, "IfcApplication") is None:
        developer = _first(model, "IfcOrganization")
        api.run("owner.add_application", model, application_developer=developer, version="1",
                application_full_name="GenZI Desktop", application_identifier="GenZI")
    owner.get_user = lambda f: _first(f, "IfcPersonAndOrganization")
    owner.get_application = lambda f: _first(f, "IfcApplication")


def _style(model, name: str, rgba):
    import ifcopenshell.api as api

    style = api.run("style.add_style", model, name=name)
    api.run("style.add_surface_style", model, style=style, ifc_class="IfcSurfaceStyleShading",
            attributes={"SurfaceColour": {"Name": None, "Red": float(rgba[0]), "Green": float(rgba[1]),
                                          "Blue": float(rgba[2])}})
    return style


def _body_context(model):
    import ifcopenshell.api as api
    import ifcopenshell.util.representation as rep

    context = rep.get_context(model, "Model", "Body", "MODEL_VIEW")
    if context is None:
        parent = rep.get_context(model, "Model") or api.run("context.add_context", model, context_type="Model")
        context = api.run("context.add_context", model, context_type="Model", context_identifier="Body",
                          target_view="MODEL_VIEW", parent=parent)
    return context


def add_people(model, bodies: Sequence[ExportBody], colours: Sequence | None = None) -> list:
    """Add one proxy per body to an open ifcopenshell model; returns the new elements."""
    import ifcopenshell.api as api
    import ifcopenshell.util.unit as ifc_unit

    scale = float(ifc_unit.calculate_unit_scale(model))  # metres per project unit
    ensure_owner(model)
    context = _body_context(model)
    storeys = storey_elevations(model)
    added = []
    for i, body in enumerate(bodies):
        vertices = np.asarray(body.vertices, dtype=np.float64)
        feet = np.array([*vertices[:, :2].mean(axis=0), vertices[:, 2].min()])
        proxy = api.run("root.create_entity", model, ifc_class="IfcBuildingElementProxy", name=body.name)
        proxy.ObjectType = PERSON_TYPE
        if model.schema != "IFC2X3":  # IFC2X3's proxy has no PredefinedType
            proxy.PredefinedType = "USERDEFINED"
        storey = storey_for(storeys, float(feet[2]))
        if storey is not None:
            api.run("spatial.assign_container", model, relating_structure=storey, products=[proxy])
        matrix = np.eye(4)
        matrix[:3, 3] = feet
        api.run("geometry.edit_object_placement", model, product=proxy, matrix=matrix, is_si=True)
        local = (vertices - feet).tolist()
        faces = np.asarray(body.faces, dtype=np.int64).tolist()
        representation = api.run("geometry.add_mesh_representation", model, context=context, vertices=[local],
                                 faces=[faces], unit_scale=scale)
        api.run("geometry.assign_representation", model, product=proxy, representation=representation)
        rgba = colours[i] if colours is not None else BODY_COLOR
        api.run("style.assign_representation_styles", model, shape_representation=representation,
                styles=[_style(model, f"{body.name} skin", rgba)])
        added.append(proxy)
    return added


def write_people_into_ifc(bodies: Sequence[ExportBody], original: str | Path, out: str | Path) -> Path:
    """Copy ``original`` with the people added to ``out`` (atomic; the original is only read)."""
    import ifcopenshell

    original, out = Path(original), Path(out)
    check_copy_target(original, out, ".ifc")
    if not bodies:
        raise ExportError("No people to write into the IFC: select at least one person.")
    try:
        model = ifcopenshell.open(str(original))
    except Exception as exc:  # noqa: BLE001 - the parser raises several types
        raise ExportError(f"{original.name} could not be read as IFC ({exc}); open the design again.") from exc
    add_people(model, bodies)
    return write_file_atomic(out, lambda tmp: model.write(str(tmp)), suffix=".ifc")
