"""The bundled waitlist service of Rebuilding Trust.

One process serves the built static site and accepts sign-ups into a database
(SQLite by default, PostgreSQL through ``DATABASE_URL``). Run it with
``python -m waitlist serve``; ``python -m waitlist export`` prints the sign-ups as CSV.

``__version__`` is the release: ``[project] version`` of the ``pyproject.toml`` beside this
package (the one place it is written; CHANGELOG.md says what each release changed), or, for an
installed copy without that file, the installed distribution's version.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

__all__ = ["__version__"]

DISTRIBUTION = "rebuilding-trust"


def _version() -> str:
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        with pyproject.open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == DISTRIBUTION and isinstance(project.get("version"), str):
        return project["version"]
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


__version__ = _version()
