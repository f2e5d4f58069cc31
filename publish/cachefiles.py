"""Files kept between builds in a cache folder, one entry per file, named by what it was made
from (the compressed copies, the worksheet PDFs, the preview cards):

- `place` puts an entry into the built site: a hard link where the file system allows (one
  system call, where writing the bytes again took half a millisecond a file), else a copy;
  whole or not at all. Nothing writes into an entry or a placed file in place: caches and sites
  only ever replace or remove files, so the two names never disagree.
- `prune` forgets entries no build has used for a while (each use touches its entry), and all
  but the most recently used: builds for other addresses (tests, previews) share the caches.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def place(entry: Path, target: Path) -> None:
    """`target` holding `entry`'s bytes. FileNotFoundError when the entry is gone (pruned by
    another build meanwhile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        try:
            os.link(entry, partial)
        except FileNotFoundError:
            raise
        except OSError:  # another file system, or links refused
            shutil.copyfile(entry, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def by_last_use(folder: Path, suffix: str = "") -> list[tuple[float, Path]]:
    """(mtime, path) of the entries in `folder` (ending in `suffix`; not hidden: those are being
    written), most recently used first. One stat per entry (os.scandir): caches hold thousands."""
    entries = []
    with os.scandir(folder) as found:
        for entry in found:
            if not entry.name.startswith(".") and entry.name.endswith(suffix):
                try:
                    entries.append((entry.stat().st_mtime, Path(entry.path)))
                except FileNotFoundError:  # pruned by another build meanwhile
                    continue
    return sorted(entries, reverse=True)


def prune(folder: Path, keep: int, days: float, suffix: str = "") -> list[Path]:
    """Remove the entries (ending in `suffix`) unused for `days`, and all but the `keep` most
    recently used; the ones removed."""
    if not folder.is_dir():
        return []
    cutoff = time.time() - days * 86400
    removed = [path for index, (used, path) in enumerate(by_last_use(folder, suffix)) if index >= keep or used < cutoff]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
