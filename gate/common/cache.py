"""A content-addressed cache of Pysa results, so an unchanged application never pays for Pysa again.

The key hashes everything Pysa's answer depends on: the instrumented tree (every file of the
analysis root, by relative path and content), the models and taint configuration (which carry the
policy), the type stubs, and the versions of flowgate, pyre-check and pyrefly. Absolute paths are
not part of it, so moving a checkout or a temporary directory does not invalidate anything. The
value is Pysa's parsed output (issues and callee models), whose file names are root-relative.

Location: ``--cache-dir``, else ``$FLOWGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/flowgate``, else
``~/.cache/flowgate``. A cache that cannot be read or written is skipped with a warning: it only
ever saves time, never changes an answer.

A CI cache is often writable by other branches, so an entry must not be able to change a verdict:
each entry records the digest it answers and a MAC over that digest and its data (HMAC-SHA256
with ``$FLOWGATE_CACHE_KEY`` when set, else a plain SHA-256 that catches corruption and swapped
entries). An entry that does not decompress, parse or verify is a miss: recomputed, with a
warning. With a key, a writer without it cannot forge an entry the gate accepts.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import hmac
import json
import os
import zlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from gate import __version__

_FORMAT = "2"  # 2: entries carry their digest and a MAC


def default_dir() -> Path:
    explicit = os.environ.get("FLOWGATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "flowgate"


@functools.cache
def _versions() -> str:
    """Tool versions, plus a digest of flowgate's own code: a changed gate never reuses old answers."""
    own = hashlib.sha256()
    package = Path(__file__).parents[1]  # the whole gate package
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".pysa", ".pyi", ".yml", ".json"):
            own.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    out = [f"flowgate {__version__} {own.hexdigest()}", f"format {_FORMAT}"]
    for dist in ("pyre-check", "pyrefly"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} ?")
    return "\n".join(out)


def key(files: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over tool versions and every (relative path, text) of an instrumented copy."""
    h = hashlib.sha256(_versions().encode())
    for rel, text in files:
        h.update(b"\0" + rel.encode() + b"\0")
        h.update(text.encode("utf-8"))
    return h.hexdigest()


class PysaCache:
    """Entries are JSON documents under ``<dir>/<2 hex>/<sha256>.json.gz``: Pysa results, and loaded
    templates (so a warm scan does not even import the YAML decoder and the SAM translator)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.warnings: list[str] = []

    def _path(self, digest: str) -> Path:
        return self.directory / digest[:2] / f"{digest}.json.gz"

    def get(self, digest: str) -> Any | None:
        path = self._path(digest)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                entry = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError, zlib.error, RecursionError) as exc:
            self.warnings.append(f"cache entry {path} unreadable ({exc}); recomputed instead")
            return None
        if not (isinstance(entry, dict) and entry.get("digest") == digest and "data" in entry
                and isinstance(entry.get("mac"), str) and hmac.compare_digest(entry["mac"], _mac(digest,
                                                                                                  entry["data"]))):
            self.warnings.append(f"cache entry {path} does not verify (corrupted, from another app, or written "
                                 "without the cache key); recomputed instead")
            return None
        return entry["data"]

    def put(self, digest: str, data: Any) -> None:
        path = self._path(digest)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as fh:
                json.dump({"digest": digest, "mac": _mac(digest, data), "data": data}, fh)
            tmp.replace(path)  # atomic: concurrent scans never read half an entry
        except (TypeError, ValueError) as exc:  # not JSON-representable: simply not cached
            _discard(tmp)
            self.warnings.append(f"a result could not be cached ({exc})")
        except OSError as exc:
            warning = (f"cache directory {self.directory} not writable ({exc.strerror or exc}); "
                       "results not cached")
            if warning not in self.warnings:
                self.warnings.append(warning)
            _discard(tmp)

    def load(self, digest: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]] | None:
        data = self.get(digest)
        if not (isinstance(data, dict) and isinstance(data.get("issues"), list) and isinstance(data.get("models"), dict)
                and all(isinstance(i, dict) for i in data["issues"])):
            return None
        return data["issues"], data["models"]

    def store(self, digest: str, issues: list[dict[str, Any]], models: dict[str, dict[str, Any]]) -> None:
        self.put(digest, {"issues": issues, "models": models})


def _mac(digest: str, data: Any) -> str:
    """HMAC-SHA256 of the digest and the canonical JSON of ``data`` (keyed by ``$FLOWGATE_CACHE_KEY``)."""
    body = digest.encode() + b"\0" + json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    secret = os.environ.get("FLOWGATE_CACHE_KEY", "").encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest() if secret else hashlib.sha256(body).hexdigest()


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def text_key(*parts: str | bytes) -> str:
    """SHA-256 over tool versions and ``parts`` (for entries keyed by inputs rather than trees)."""
    h = hashlib.sha256(_versions().encode())
    for part in parts:
        h.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return h.hexdigest()


def from_options(cache_dir: Path | None, no_cache: bool) -> PysaCache | None:
    """The CLI's cache: on by default; ``--no-cache`` or ``$FLOWGATE_NO_CACHE`` turn it off."""
    if no_cache or os.environ.get("FLOWGATE_NO_CACHE"):
        return None
    return PysaCache(cache_dir or default_dir())


def clear(directory: Path) -> int:
    """Remove every cache entry; returns how many were removed."""
    removed = 0
    if not directory.is_dir():
        return 0
    for path in directory.glob("*/*.json.gz"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
