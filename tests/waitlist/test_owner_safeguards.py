"""Small safeguards of issue 25: a production build refuses an http:// SITE_URL, the private
compose files are ignored by git, and the deployment examples name the tests that check them."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests import rebrand

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [".env", "waitlist.env"])
def test_the_private_compose_files_are_ignored_by_git(name: str) -> None:
    """compose.env.example: `.env` and `waitlist.env` hold secrets and are never committed."""
    assert name in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", name], cwd=REPO)
    assert ignored.returncode == 0, f"{name} is not ignored"
    assert "neither committed" in (REPO / "compose.env.example").read_text(encoding="utf-8")


def test_the_example_file_itself_is_not_ignored() -> None:
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", "compose.env.example"],
                            cwd=REPO)
    assert result.returncode == 1


def test_make_build_production_refuses_an_http_site_url(tmp_path: Path) -> None:
    """`make build PRODUCTION=1` with `SITE_URL=http://…` (a public host): refused before
    anything is built, one line naming SITE_URL and https://."""
    project = rebrand.copy_project(tmp_path / "project")
    env = {key: value for key, value in os.environ.items() if key not in {
        "SITE_URL", "ENV_FILE", "PRODUCTION", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    env["SITE_URL"] = "http://course.example.org/"
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/bin/.installed", "build", "PRODUCTION=1",
         f"ENV_FILE={tmp_path / 'none.env'}"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if not line.startswith("make: ")]
    assert line.startswith("build refused: SITE_URL http://course.example.org/ (from the "
                           "environment) is not https://; a production build needs the public "
                           "https:// address"), line
    assert not (project / "site").exists() and not list(project.glob(".site-*"))


def test_deploy_examples_name_tests_that_exist() -> None:
    for path in sorted((REPO / "deploy").iterdir()):
        named = re.findall(r"Tested by (\S+\.py)", path.read_text(encoding="utf-8"))
        assert named, f"{path.name} names no test"
        for test in named:
            assert (REPO / test).is_file(), f"{path.name} names {test}, which does not exist"
