"""Saving and opening ``.genzi`` projects: a zip file, or a folder with the same content.

A project file may come from anyone. Opening one therefore copies only regular files that lie
inside it (no links followed out of it), refuses names that lead out, caps how much a zip may
unpack to, and checks the whole ``project.json`` before using it. Saving writes beside the
destination and renames into place, so a failed or killed save leaves the old file whole;
it refuses to replace a file or folder that is not a project.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import zipfile
import zlib
from pathlib import Path

from pipeline.core.atomic import remove_stale_temporaries, replace_folder, temporary_prefix, write_file_atomic

from genzi_desktop.model.project import PROJECT_JSON, SUFFIX, Project, ProjectError

#: Limits on what a zip project may unpack to: a small file must not fill the disk.
MAX_UNPACKED_BYTES = 16 * 1024**3
MAX_MEMBERS = 200_000
MAX_RATIO = 200  # unpacked / packed size of one large member
RATIO_CHECK_BYTES = 16 * 1024**2  # members smaller than this are never refused for their ratio

_SKIPPED = {".DS_Store"}


def project_files(root: Path):
    """The regular files under ``root`` that belong to the project: no links (a link could
    name any readable file on the computer), no temporaries."""
    root = Path(root)
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file() or name in _SKIPPED or name.endswith(".tmp"):
                continue
            yield path


def _is_project_file(path: Path) -> bool:
    if path.is_dir():
        return (path / PROJECT_JSON).is_file()
    try:
        with zipfile.ZipFile(path) as zf:
            return PROJECT_JSON in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _refuse_non_project(destination: Path) -> None:
    if not destination.exists():
        return
    if destination.is_dir() and not any(destination.iterdir()):
        return
    if not _is_project_file(destination):
        kind = "folder" if destination.is_dir() else "file"
        raise ProjectError(f"{destination} is an existing {kind} that is not a GenZI project; it was left "
                           "as it is. Choose another name for the project.")


def save_project(project: Project, destination: str | Path, *, as_folder: bool | None = None,
                 json_written: bool = False) -> Path:
    """Write the project to ``destination``: a zip file, or a folder when ``as_folder``
    (default: a folder if ``destination`` already is one). Written beside and then moved into
    place, so a failed save never destroys the previous file. ``json_written``: the caller
    has just written ``project.json`` (e.g. before copying the files in a background thread)."""
    destination = Path(destination).expanduser()
    if destination.suffix != SUFFIX:
        destination = destination.with_name(destination.name + SUFFIX)
    if as_folder is None:
        as_folder = destination.is_dir()
    if destination.exists() and destination.resolve() == project.root.resolve():
        if not json_written:
            project.write_json()
        return destination
    _refuse_non_project(destination)
    if not json_written:
        project.write_json()
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(destination)
        if as_folder:
            _save_folder(project, destination)
        else:
            write_file_atomic(destination, lambda tmp: _write_zip(project.root, tmp), durable=True)
    except OSError as exc:
        raise ProjectError(f"Could not save the project to {destination}: {exc.strerror or exc}. "
                           "Choose a folder you can write to and enough free disk space.") from exc
    return destination


def _write_zip(root: Path, tmp: Path) -> None:
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(root / PROJECT_JSON, PROJECT_JSON)
        for f in project_files(root):
            rel = f.relative_to(root).as_posix()
            if rel != PROJECT_JSON:
                zf.write(f, rel)


def _save_folder(project: Project, destination: Path) -> None:
    tmp = Path(tempfile.mkdtemp(dir=destination.parent, prefix=temporary_prefix(destination)))
    try:
        for f in project_files(project.root):
            target = tmp / f.relative_to(project.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        replace_folder(tmp, destination)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _copy_folder(source: Path, root: Path) -> list[str]:
    """Copy a folder project's own files; returns the links that were left out."""
    skipped = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        for name in dirs + files:
            if (Path(folder) / name).is_symlink():
                skipped.append((Path(folder) / name).relative_to(source).as_posix())
    for f in project_files(source):
        target = root / f.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    return skipped


def _check_zip(zf: zipfile.ZipFile, source: Path, root: Path) -> None:
    members = zf.infolist()
    if len(members) > MAX_MEMBERS:
        raise ProjectError(f"{source.name} holds {len(members)} files, more than a project can ({MAX_MEMBERS}); "
                           "it was not opened.")
    total = 0
    inside = str(root.resolve()) + os.sep
    for info in members:
        dest = (root / info.filename).resolve()
        if not str(dest).startswith(inside) or Path(info.filename).is_absolute():
            raise ProjectError(f"{source} contains an unsafe path {info.filename!r}; it was not opened.")
        total += info.file_size
        if info.file_size > RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ProjectError(f"{source.name} would unpack {info.filename!r} from {info.compress_size:,} bytes to "
                               f"{info.file_size:,}: far more than a project packs, so it was not opened.")
    free = shutil.disk_usage(root).free
    if total > min(MAX_UNPACKED_BYTES, free):
        raise ProjectError(f"{source.name} would unpack to {total / 1e9:.1f} GB, more than "
                           f"{'a project may' if total > MAX_UNPACKED_BYTES else 'the free disk space'} "
                           f"({min(MAX_UNPACKED_BYTES, free) / 1e9:.1f} GB); it was not opened.")


def _read_json(path: Path, name: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{name}: {PROJECT_JSON} is not text ({exc.reason}).") from exc
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{name}: {PROJECT_JSON} is damaged ({exc.msg} at line {exc.lineno}).") from exc


def open_project(source: str | Path, workspace: str | Path) -> Project:
    """Read a ``.genzi`` zip or folder into a new working folder under ``workspace``."""
    source = Path(source).expanduser()
    if not source.exists():
        raise ProjectError(f"The project {source} does not exist; check the name or pick it again with File > Open project.")
    root = Path(workspace) / f"opened-{source.stem}-{uuid.uuid4().hex[:6]}"
    root.mkdir(parents=True)
    try:
        if source.is_dir():
            if not (source / PROJECT_JSON).is_file() or (source / PROJECT_JSON).is_symlink():
                raise ProjectError(f"{source} is a folder without {PROJECT_JSON}, so it is not a GenZI project.")
            Project.from_dict(_read_json(source / PROJECT_JSON, source.name), root)  # refuse before copying
            _copy_folder(source, root)
        else:
            try:
                with zipfile.ZipFile(source) as zf:
                    _check_zip(zf, source, root)
                    if PROJECT_JSON not in zf.namelist():
                        raise ProjectError(f"{source.name} has no {PROJECT_JSON}; it is not a GenZI project.")
                    zf.extract(PROJECT_JSON, root)
                    Project.from_dict(_read_json(root / PROJECT_JSON, source.name), root)
                    zf.extractall(root)
            except ProjectError:
                raise
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
                    zlib.error) as exc:  # not a zip, encrypted, truncated or corrupt data
                raise ProjectError(f"{source.name} is not a GenZI project (not a zip file or folder).") from exc
        json_path = root / PROJECT_JSON
        if not json_path.is_file():
            raise ProjectError(f"{source.name} has no {PROJECT_JSON}; it is not a GenZI project.")
        project = Project.from_dict(_read_json(json_path, source.name), root)
    except OSError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise ProjectError(f"Could not read the project {source.name}: {exc.strerror or exc}.") from exc
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    remove_stale_temporaries(source)
    return project
