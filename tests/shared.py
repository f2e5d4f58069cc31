"""What one test run builds or starts once and every pytest-xdist worker shares: the built site,
the service that serves it, the rebranded copy. `make test` runs the suite in parallel
(`-n $(WORKERS)`, the Makefile: one per core); without this each worker would build the site and lay out its PDFs
again, side by side on the same two cores.

- `once(factory, name, make)`: the first worker to ask runs `make(folder)` under a file lock
  and keeps its JSON result beside the run's temporary folders; the others wait for it and read
  it. A `make` that fails records nothing, so every worker that asks reports the failure.
- `project_caches(root)`: the settings that point a scratch build at the project's own caches
  (`.cache/`), which are keyed by the bytes they are made from (tests/test_cache_property.py
  shows a warm build is the cold one), so a scratch build lays out, draws and compresses only
  what it changed, and builds running side by side share them (every entry is written whole,
  then renamed into place).
- The session site's build starts before any worker asks for it: the controller of a whole-suite
  run starts tests/prebuild.py in the background, which takes its lock first (tests/conftest.py
  `pytest_sessionstart`), so no worker waits a build's length with nothing to do.
- `keep_running(factory, process)`: a server started inside `once` outlives the worker that
  started it (the others still use it); the run's controller stops every such process when the
  session ends (`stop_kept`, called from tests/conftest.py).

Without xdist (`-p no:xdist`, `-n 0`) the one process is both the worker and the controller.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent

CACHES = {"RT_PDF_CACHE": "pdf", "RT_COMPRESS_CACHE": "compress", "RT_SOCIAL_CACHE": "social",
          "RT_CSP_CACHE": "csp.json", "RT_OFFLINE_CACHE": "offline", "RT_FONT_CACHE": "fonts.json",
          "RT_JINJA_CACHE": "jinja", "RT_STYLESHEET_CACHE": "stylesheet"}


def project_caches(root: Path) -> dict[str, str]:
    """The environment that points a build at every cache of the project at `root`."""
    return {name: str(root / ".cache" / folder) for name, folder in CACHES.items()}


def check_environment(url: str) -> dict[str, str]:
    """What tests/test_check.py runs `make check` and its builds with: the project's caches and
    the address `url`. PDFs link to the site's address, so with the session site's address the
    caches already hold every PDF a case does not change (the session site's build laid them out)."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", **project_caches(ROOT), "SITE_URL": url,
            "PYTHONDONTWRITEBYTECODE": "1"}


def run_folder(factory: pytest.TempPathFactory) -> Path:
    """The folder all workers of this run share: xdist gives each worker `<run>/popen-gwN`."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """`make(folder)`'s JSON-able result, made by the first worker that asks for `name`."""
    return once_in(run_folder(factory), name, make)


def once_in(root: Path, name: str, make: Callable[[Path], Any]) -> Any:
    """`once` in the run's folder `root` (tests/prebuild.py, which is no worker, uses it)."""
    done = root / f"shared-{name}.json"
    with FileLock(str(root / f"shared-{name}.lock")):
        if done.exists():
            return json.loads(done.read_text(encoding="utf-8"))
        folder = root / f"shared-{name}"
        folder.mkdir(exist_ok=True)
        value = make(folder)
        done.write_text(json.dumps(value), encoding="utf-8")
        return value


def keep_running(factory: pytest.TempPathFactory, process: subprocess.Popen[bytes]) -> None:
    """Have the run's controller stop `process` when the whole session ends."""
    pids = run_folder(factory) / "shared-pids"
    pids.mkdir(exist_ok=True)
    (pids / str(process.pid)).touch()


def stop_kept(factory: pytest.TempPathFactory) -> None:
    """Stop every process `keep_running` was given in this run (the controller, at the end)."""
    pids = factory.getbasetemp() / "shared-pids"
    for entry in sorted(pids.glob("*")) if pids.is_dir() else []:
        try:
            os.kill(int(entry.name), signal.SIGTERM)
        except ProcessLookupError:
            pass
        entry.unlink()
