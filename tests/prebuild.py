"""The run's shared builds, started by its controller before any worker needs them
(tests/conftest.py `pytest_sessionstart`): `python -m tests.prebuild <run folder>` builds the
session site, then the hostile-text project for its address (tests/hostile.py); both fill the
project's caches that tests/test_check.py's cases build with, for the same address. Each takes
`once`'s lock first, so the workers wait only if they need one before it is built, and read its
result as if one of them had built it (tests/shared.py): no worker sits idle through a build
while the other makes it. A build that fails records nothing: the first worker that needs it
builds it again and reports why."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_shared_site
from tests.hostile import make_hostile_site
from tests.shared import once_in

if __name__ == "__main__":
    run = Path(sys.argv[1])
    site = once_in(run, "site", make_shared_site)
    once_in(run, "hostile", lambda folder: make_hostile_site(folder, site["url"]))
