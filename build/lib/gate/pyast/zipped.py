"""Code roots that are zip archives (``CodeUri: src/index.zip``, a layer's ``ContentUri`` zip), read
in place: nothing is extracted, into the user's tree or anywhere else.

A file inside an archive is named by a path through it, ``src/index.zip/app.py``: the analysis,
the copy and the reports use that path like any other, and ``read_source`` reads the member. Reads
are bounded (member size and count), and members whose names leave the archive (``../x.py``,
absolute paths) are ignored.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 100_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024


def is_archive(path: Path) -> bool:
    return path.suffix.lower() == ".zip" and path.is_file() and zipfile.is_zipfile(path)


def archive_of(path: Path) -> tuple[Path, str] | None:
    """(archive, member name) when ``path`` names a file inside a zip archive."""
    for parent in path.parents:
        if parent.suffix.lower() == ".zip" and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


@functools.lru_cache(maxsize=64)
def _members(archive: Path, mtime_ns: int) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()[:MAX_MEMBERS]
    out = {}
    for info in infos:
        name = PurePosixPath(info.filename)
        if info.is_dir() or name.is_absolute() or ".." in name.parts:
            continue
        out[name.as_posix()] = info
    return out


def members(archive: Path) -> dict[str, zipfile.ZipInfo]:
    """The archive's file members by name (directories and escaping names left out)."""
    return _members(archive, archive.stat().st_mtime_ns)


def read_member(archive: Path, name: str) -> bytes:
    info = members(archive).get(name)
    if info is None:
        raise OSError(f"no member {name} in {archive}")
    if info.file_size > MAX_MEMBER_BYTES:
        raise OSError(f"{name} in {archive} is larger than {MAX_MEMBER_BYTES // 2**20} MiB")
    with zipfile.ZipFile(archive) as zf, zf.open(info) as fh:
        return fh.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES]


def has_directory(archive: Path, prefix: str) -> bool:
    return any(name.startswith(prefix.rstrip("/") + "/") for name in members(archive))
