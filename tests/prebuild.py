"""The session site's build, started by the run's controller before any worker needs it
(tests/conftest.py `pytest_sessionstart`): `python -m tests.prebuild <run folder>`. It takes
`once`'s lock for the site first, so the workers wait for it only if they need the site before
it is built, and read its result as if one of them had built it (tests/shared.py). A build that
fails records nothing: the first worker that needs the site builds it again and reports why."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_shared_site
from tests.shared import once_in

if __name__ == "__main__":
    once_in(Path(sys.argv[1]), "site", make_shared_site)
