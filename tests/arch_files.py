"""Architects' files for the tests, written with each format's own library at test time.

Each writer stores the reference room of ``scene_files`` (4 x 3 x 2.5 m, a table) in the
unit and up axis a typical tool would use (Revit IFC in millimetres, Rhino in millimetres,
SketchUp Collada Z-up inches, USD Y-up centimetres), so a reader must undo exactly that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from tests.scene_files import room_mesh, to_file_frame

ROOM_WALL_RGB = (0.9, 0.2, 0.1)


def write_ifc(path: Path, unit: str = "MILLIMETRE", schema: str = "IFC4", walls: int = 3,
              space: bool = True, geometry: bool = True, opening: bool = False) -> Path:
    """A project > site > building > storey with ``walls`` extruded walls (4 m x 2.5 m x 0.2 m,
    3 m apart along y, red), an IfcSpace that must stay hidden, in ``unit``; with ``opening``,
    a 1 x 2 m door opening cut into the first wall (also hidden by default)."""
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema=schema)
    if schema == "IFC2X3":  # every IFC 2x3 element needs an owner history: a user and an application
        import ifcopenshell.api.owner.settings as owner

        person = api.run("owner.add_person", f)
        org = api.run("owner.add_organisation", f)
        api.run("owner.add_person_and_organisation", f, person=person, organisation=org)
        api.run("owner.add_application", f, application_developer=org)
        owner.get_user = lambda file: (file.by_type("IfcPersonAndOrganization") or [None])[0]
        owner.get_application = lambda file: (file.by_type("IfcApplication") or [None])[0]
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="Test project")
    api.run("unit.assign_unit", f, length={"is_metric": True, "raw": unit})
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body",
                   target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    building = api.run("root.create_entity", f, ifc_class="IfcBuilding", name="Building")
    storey = api.run("root.create_entity", f, ifc_class="IfcBuildingStorey", name="Level 1")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    api.run("aggregate.assign_object", f, relating_object=site, products=[building])
    api.run("aggregate.assign_object", f, relating_object=building, products=[storey])
    style = api.run("style.add_style", f, name="Red plaster")
    api.run("style.add_surface_style", f, style=style, ifc_class="IfcSurfaceStyleShading",
            attributes={"SurfaceColour": {"Name": None, "Red": ROOM_WALL_RGB[0], "Green": ROOM_WALL_RGB[1],
                                          "Blue": ROOM_WALL_RGB[2]}})
    for i in range(walls):
        wall = api.run("root.create_entity", f, ifc_class="IfcWall", name=f"Wall {i}")
        if geometry:
            rep = api.run("geometry.add_wall_representation", f, context=body, length=4.0, height=2.5, thickness=0.2)
            api.run("geometry.assign_representation", f, product=wall, representation=rep)
            api.run("style.assign_representation_styles", f, shape_representation=rep, styles=[style])
            matrix = np.eye(4)
            matrix[1, 3] = 3.0 * i
            api.run("geometry.edit_object_placement", f, product=wall, matrix=matrix, is_si=True)
        api.run("spatial.assign_container", f, relating_structure=storey, products=[wall])
    if opening and geometry:
        first = f.by_type("IfcWall")[0]
        hole = api.run("root.create_entity", f, ifc_class="IfcOpeningElement", name="Door opening")
        rep = api.run("geometry.add_wall_representation", f, context=body, length=1.0, height=2.0, thickness=0.4)
        api.run("geometry.assign_representation", f, product=hole, representation=rep)
        matrix = np.eye(4)
        matrix[:3, 3] = (1.5, -0.1, 0.0)
        api.run("geometry.edit_object_placement", f, product=hole, matrix=matrix, is_si=True)
        api.run("feature.add_feature", f, feature=hole, element=first)
    if space and geometry:
        room = api.run("root.create_entity", f, ifc_class="IfcSpace", name="Room")
        rep = api.run("geometry.add_wall_representation", f, context=body, length=4.0, height=2.5, thickness=3.0)
        api.run("geometry.assign_representation", f, product=room, representation=rep)
        api.run("aggregate.assign_object", f, relating_object=storey, products=[room])
    f.write(str(path))
    return path


def write_3dm(path: Path, unit: str = "Millimeters", brep_without_mesh: bool = True, mesh: bool = True,
              breps: int = 1) -> Path:
    """The room as a mesh on layer 'Architecture::Room' (green), plus ``breps`` Brep spheres with
    no render mesh (what rhino3dm cannot show), in ``unit``; ``mesh=False`` leaves the room out."""
    import rhino3dm

    from pipeline.scene.formats_3dm import RHINO_UNITS

    mesh_wanted = mesh

    model = rhino3dm.File3dm()
    model.Settings.ModelUnitSystem = getattr(rhino3dm.UnitSystem, unit)
    parent = rhino3dm.Layer()
    parent.Name = "Architecture"
    parent_index = model.Layers.Add(parent)
    layer = rhino3dm.Layer()
    layer.Name = "Room"
    layer.Color = (20, 200, 40, 255)
    layer.ParentLayerId = model.Layers[parent_index].Id
    layer_index = model.Layers.Add(layer)
    room = room_mesh()
    mesh = rhino3dm.Mesh()
    for v in room.vertices / RHINO_UNITS.get(unit, 1.0):  # a unit the app has not met: numbers in metres
        mesh.Vertices.Add(float(v[0]), float(v[1]), float(v[2]))
    for a, b, c in room.faces:
        mesh.Faces.AddFace(int(a), int(b), int(c))
    attributes = rhino3dm.ObjectAttributes()
    attributes.LayerIndex = layer_index
    attributes.Name = "Room shell"
    if mesh.Faces.Count and mesh_wanted:
        model.Objects.AddMesh(mesh, attributes)
    for k in range(breps if brep_without_mesh else 0):
        sphere = rhino3dm.Sphere(rhino3dm.Point3d(400.0 * k, 0, 1000), 300.0)
        model.Objects.AddBrep(sphere.ToBrep())
    model.Write(str(path), 8)
    return path


def write_collada(path: Path, texture: str | None = None) -> Path:
    """The room as SketchUp writes it: Z-up, inches (``<unit meter="0.0254">``); with
    ``texture``, a material that names that image file (which need not exist)."""
    import collada
    from collada import asset, geometry, material, scene, source

    mesh = to_file_frame(room_mesh(), "z", "in")
    doc = collada.Collada()
    doc.assetInfo.upaxis = asset.UP_AXIS.Z_UP
    doc.assetInfo.unitmeter = 0.0254
    doc.assetInfo.unitname = "inch"
    if texture:
        image = material.CImage("wall_image", texture)
        surface = material.Surface("wall_surface", image)
        sampler = material.Sampler2D("wall_sampler", surface)
        effect = material.Effect("wall_effect", [surface, sampler], "lambert", diffuse=material.Map(sampler, "UVSET0"))
        doc.images.append(image)
    else:
        effect = material.Effect("wall_effect", [], "lambert", diffuse=(0.2, 0.3, 0.9))
    mat = material.Material("wall_material", "walls", effect)
    doc.effects.append(effect)
    doc.materials.append(mat)
    verts = source.FloatSource("room_verts", np.asarray(mesh.vertices, dtype=np.float32).reshape(-1), ("X", "Y", "Z"))
    geom = geometry.Geometry(doc, "room_geom", "Room", [verts])
    inputs = source.InputList()
    inputs.addInput(0, "VERTEX", "#room_verts")
    triangles = geom.createTriangleSet(np.asarray(mesh.faces, dtype=np.int32).reshape(-1), inputs, "materialref")
    geom.primitives.append(triangles)
    doc.geometries.append(geom)
    node = scene.Node("Room", children=[scene.GeometryNode(geom, [scene.MaterialNode("materialref", mat, inputs=[])])])
    doc.scenes.append(scene.Scene("main", [node]))
    doc.scene = doc.scenes[0]
    doc.write(str(path))
    return path


def write_usd(path: Path, up: str = "y", metres_per_unit: float = 0.01, reference: str | None = None) -> Path:
    """The room as a Y-up centimetre stage with a blue preview material; with ``reference``,
    a second prim that references that file (which need not exist)."""
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade

    unit = {0.01: "cm", 1.0: "m", 0.001: "mm"}[metres_per_unit]
    mesh = to_file_frame(room_mesh(), up, unit)
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y if up == "y" else UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, metres_per_unit)
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    prim = UsdGeom.Mesh.Define(stage, "/World/Room")
    prim.CreatePointsAttr([Gf.Vec3f(*map(float, v)) for v in mesh.vertices])
    prim.CreateFaceVertexCountsAttr([3] * len(mesh.faces))
    prim.CreateFaceVertexIndicesAttr([int(i) for i in np.asarray(mesh.faces).reshape(-1)])
    material = UsdShade.Material.Define(stage, "/World/Looks/Blue")
    shader = UsdShade.Shader.Define(stage, "/World/Looks/Blue/Surface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(0.1, 0.2, 0.9))
    material.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(prim.GetPrim()).Bind(material)
    if reference:
        UsdGeom.Xform.Define(stage, "/World/Furniture").GetPrim().GetReferences().AddReference(reference)
    stage.GetRootLayer().Save()
    return path


def bounds_of(meshes: list[trimesh.Trimesh]) -> np.ndarray:
    v = np.concatenate([np.asarray(m.vertices) for m in meshes])
    return np.stack([v.min(axis=0), v.max(axis=0)])
