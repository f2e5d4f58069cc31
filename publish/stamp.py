"""Cache keys made of bytes, never of a list of inputs someone must keep up to date (issue 27).

Every cache under `.cache/` stores what some code made from some input. Its key holds the
input's bytes (each cache hashes those itself) and, from here, a stamp of the maker: the bytes
of the modules that do the work and the versions of the libraries they call. A change to any of
them gives new keys, so a cache can miss but never answer with what older code made.

- `of_files(*paths)`: a digest of files' names and bytes (a missing file counts, as missing).
- `of_versions(*distributions)`: a digest of installed distributions' versions.
- `stamp(*parts)`: one digest of several.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def of_files(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0")
        try:
            digest.update(Path(path).read_bytes())
        except FileNotFoundError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()


def of_versions(*distributions: str) -> str:
    parts = []
    for name in distributions:
        try:
            parts.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} missing")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def stamp(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
