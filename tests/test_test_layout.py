"""The test suite's own layout: no module under tests/ imports from a test module (a file named
test_*.py). Helpers that several test modules share live in a helper module (tests/helpers.py,
tests/browser/helpers.py, tests/waitlist/helpers.py, tests/print/helpers.py) or, for fixtures,
in the nearest conftest.py. Importing from a test module ties one test file to another's
internals, and a fixture or test function imported along is registered or collected a second
time in the importing module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def in_a_test_module(name: str) -> bool:
    """Whether a dotted module name is, or is inside, a test_*.py module."""
    return any(part.startswith("test_") for part in name.split("."))


def package_of(path: Path, root: Path) -> list[str]:
    """The dotted package `path` belongs to, as its parts (tests/browser/x.py: tests, browser)."""
    return list(path.relative_to(root).parent.parts)


def imported_test_modules(source: str, path: Path, root: Path) -> list[tuple[int, str]]:
    """The (line, module) of every import in `source` (the file `path` under `root`) that reads
    from a test module: `import tests.test_x`, `from tests.test_x import y`, `from .test_x
    import y`, `from . import test_x`, `from tests import test_x`, at any depth in the file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names
                      if in_a_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = package_of(path, root)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
                shown = "." * node.level + (node.module or "")
            else:
                module = shown = node.module or ""
            if in_a_test_module(module):
                found.append((node.lineno, shown))
                continue
            # `from package import test_x`: a module, when the package's folder holds test_x.py.
            folder = root.joinpath(*module.split("."))
            found += [(node.lineno, f"{shown}{'' if shown.endswith('.') else '.'}{alias.name}")
                      for alias in node.names
                      if alias.name.startswith("test_") and (folder / f"{alias.name}.py").is_file()]
    return found


def python_files() -> list[Path]:
    """Every tests/**/*.py of the project (not third-party code installed under tests/)."""
    return sorted(path for path in TESTS.rglob("*.py") if "node_modules" not in path.parts)


def test_no_module_imports_from_a_test_module() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: imports from the test module {module}"
        for path in python_files()
        for line, module in imported_test_modules(path.read_text(encoding="utf-8"), path, ROOT)
    ]
    assert not problems, (
        "test modules must not import from other test modules; move the shared helper to a helper "
        "module (tests/helpers.py, tests/<folder>/helpers.py) or a conftest.py:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tests.test_data import PROMPTS\n", [(1, "tests.test_data")]),
        ("from tests.browser.test_layout import (\n    settle,\n)\n", [(1, "tests.browser.test_layout")]),
        ("import tests.waitlist.test_postgres\n", [(1, "tests.waitlist.test_postgres")]),
        ("def f():\n    from tests.waitlist.test_upgrade import create_v1\n", [(2, "tests.waitlist.test_upgrade")]),
        ("from .test_layout import settle\n", [(1, ".test_layout")]),
        ("from ..test_data import write\n", [(1, "..test_data")]),
        ("from . import test_layout\n", [(1, ".test_layout")]),
        ("from tests.browser import test_layout\n", [(1, "tests.browser.test_layout")]),
        ("from tests.browser.helpers import settle\n", []),
        ("from .helpers import settle\n", []),
        ("from tests.conftest import free_port\n", []),
        ("from tests.browser import helpers\n", []),
        ("import pytest\nfrom pathlib import Path\n", []),
    ],
)
def test_the_check_finds_each_form(source: str, expected: list[tuple[int, str]]) -> None:
    """The check itself, on a module placed at tests/browser/example.py of this project."""
    assert imported_test_modules(source, TESTS / "browser" / "example.py", ROOT) == expected


def test_every_module_with_a_module_scoped_fixture_runs_on_one_worker() -> None:
    """A module-scoped fixture split over two xdist workers builds or starts its thing twice:
    such modules are listed in tests/conftest.py's ONE_WORKER_MODULES, marked for `--dist
    loadgroup` (`group_ids`, tested below)."""
    from tests.conftest import ONE_WORKER_MODULES

    tests = Path(__file__).resolve().parent
    scoped = {p.name for p in tests.rglob("test_*.py") if "node_modules" not in p.parts
              and re.search(r"scope=\"(module|class|package)\"", p.read_text(encoding="utf-8"))}
    assert scoped == ONE_WORKER_MODULES


GROUPED = """
import os, pytest
pytestmark = pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    with open(os.environ["RT_WORKERS_FILE"], "a") as out:
        out.write(f"grouped {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""
LOOSE = """
import os, time, pytest
@pytest.mark.parametrize("n", range(6))
def test_loose(n):
    time.sleep(0.05)
"""
CONFTEST = """
from tests.conftest import group_ids
def pytest_collection_modifyitems(config, items):
    group_ids(config, items)
"""


def test_an_xdist_group_runs_on_one_worker(tmp_path: Path) -> None:
    """`group_ids` (tests/conftest.py) with the pinned pytest and pytest-xdist: the tests of a
    group all run on one of two workers, as `make test` relies on (its groups' module fixtures
    made once; the waitlist's deadline tests on one worker). Without it they are spread."""
    import os
    import subprocess
    import sys

    for name, text in (("test_grouped.py", GROUPED), ("test_loose.py", LOOSE), ("conftest.py", CONFTEST)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    workers = tmp_path / "workers.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}  # not this run's worker
    env.update(RT_WORKERS_FILE=str(workers), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                             "--dist", "loadgroup", "--no-loadscope-reorder", str(tmp_path)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = workers.read_text(encoding="utf-8").split()
    assert lines.count("grouped") == 6
    assert len(set(lines) - {"grouped"}) == 1, lines
