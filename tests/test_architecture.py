"""ARCHITECTURE.md against the files it describes.

- Every path it names in backticks exists: a `.py` or `.js` file anywhere, a folder (`name/`),
  and any path under a top-level folder of the project (`data/README.md`). Paths git ignores
  (`site/`, `.cache/pdf/`, `var/waitlist.sqlite3`: made by the commands) and paths holding a
  pattern (`data/worksheets/*.yml`, `<id>`) are not looked up.
- It names every Python module of the packages and scripts (`course/`, `macros/`, `printing/`,
  `sitebuild/`, `publish/`, `waitlist/`, `scripts/`, `bench/`; `__init__.py` and `__main__.py`
  included), every script under `overrides/assets/js/` and in `publish/`, and every top-level
  folder git tracks, as `name/`.
- Its table of post-build steps names them in the order the build runs them
  (sitebuild/steps.py's STEP_NAMES).

Each failure names the missing or stale entries.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "ARCHITECTURE.md"
PACKAGES = ("course", "macros", "printing", "sitebuild", "publish", "waitlist", "scripts", "bench")
SCRIPT_FOLDERS = ("overrides/assets/js", "publish")
CODE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*")
STEP_ROW = re.compile(r"^\| \d+b? \| [^|(]*\(`(?P<name>[a-z]+)`", re.MULTILINE)


def named() -> set[str]:
    """Every path-like text ARCHITECTURE.md holds in backticks."""
    return {code for code in CODE.findall(DOC.read_text(encoding="utf-8")) if PATH.fullmatch(code)}


def top_level_folders() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir()}


def ignored_by_git(paths: list[str]) -> set[str]:
    """The paths git ignores (built or made at run time); none when git is not there."""
    if not paths:
        return set()
    try:
        result = subprocess.run(["git", "check-ignore", "--stdin"], cwd=ROOT, input="\n".join(paths),
                                capture_output=True, text=True, check=False)
    except OSError:
        return set()
    return {line.strip() for line in result.stdout.splitlines()}


def checked_paths() -> list[str]:
    """The named paths that must exist (see the module's docstring)."""
    folders = top_level_folders()
    return sorted(code for code in named()
                  if code.endswith((".py", ".js", "/")) or ("/" in code and code.split("/")[0] in folders))


def test_every_path_it_names_exists() -> None:
    candidates = checked_paths()
    missing = [path for path in candidates if not (ROOT / path).exists()]
    stale = sorted(set(missing) - ignored_by_git(missing))
    assert not stale, (f"ARCHITECTURE.md names {len(stale)} path(s) that do not exist (moved, renamed or removed? "
                       f"update ARCHITECTURE.md): {', '.join(stale)}")


def modules() -> list[str]:
    found = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    found += [p for folder in SCRIPT_FOLDERS for p in (ROOT / folder).rglob("*.js")]
    return sorted(p.relative_to(ROOT).as_posix() for p in found
                  if "__pycache__" not in p.parts and "node_modules" not in p.parts)


def test_it_names_every_module_and_script() -> None:
    mentioned = named()
    missing = [path for path in modules() if path not in mentioned]
    assert not missing, (f"ARCHITECTURE.md does not name {len(missing)} module(s) or script(s): "
                         f"{', '.join(missing)}; add each, in backticks with its path, to the table of its folder "
                         f"(\"Every folder and module\") with one line on what it does")


def tracked_top_level_folders() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {path.split("/")[0] for path in listed.split("\0") if "/" in path and not path.startswith(".")}


def test_it_names_every_top_level_folder() -> None:
    mentioned = named()
    missing = sorted(f"{folder}/" for folder in tracked_top_level_folders() if f"{folder}/" not in mentioned)
    assert not missing, (f"ARCHITECTURE.md does not name the top-level folder(s) {', '.join(missing)}; add each to "
                         f"\"Top-level folders\", in backticks, ending with /")


def test_the_post_build_steps_are_described_in_the_order_they_run() -> None:
    from sitebuild.steps import STEP_NAMES

    described = STEP_ROW.findall(DOC.read_text(encoding="utf-8"))
    assert described == list(STEP_NAMES), (
        f"ARCHITECTURE.md's post-build table lists {described}; the build runs {list(STEP_NAMES)} "
        f"(sitebuild/steps.py): each step reads what the ones before it wrote, so update the table")
