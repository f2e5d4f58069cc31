"""A cache kept between builds in one JSON file: read whole (an empty dict when it is missing
or damaged, so the caller does the work again), written whole or not at all (a temporary file
renamed: builds may run at the same time). Used by the CSP and offline steps to skip parsing
pages whose text has not changed, and by the PDF step for its fonts' characters. The entries are
kept under a stamp of the code that made them (publish/stamp.py): other code reads nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path


def read(path: Path | None, stamp: str = "") -> dict:
    """The entries kept at `path` by code whose stamp (publish/stamp.py) was `stamp`; {} when
    the file is missing or damaged or was written by other code."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(cached, dict) or cached.get("stamp") != stamp or not isinstance(cached.get("entries"), dict):
        return {}
    return cached["entries"]


def write(path: Path | None, data: dict, stamp: str = "") -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps({"stamp": stamp, "entries": data}, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # only a cache: the next build does the work again
