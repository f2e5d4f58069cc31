"""A production build cannot silently be local (DEPLOY.md): `make build` reads SITE_URL from the
environment file the service reads (ENV_FILE) when the environment has none, and
`make build PRODUCTION=1` refuses, before building anything, a missing or loopback SITE_URL
with one line naming SITE_URL and where to set it (scripts/build.py).

The refusals run the real `make build` in a scratch copy of the project and take a second; the
build that uses the environment file's SITE_URL is the rebranded one tests/test_rebrand.py
checks (tests/rebrand.py: `make build PRODUCTION=1 ENV_FILE=…`, no SITE_URL in the
environment), shared through the session fixture `rebranded`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from course.data import load_course
from tests import rebrand
from tests.conftest import ROOT, sitemap_paths

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)


def load_build_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("rt_build_script", ROOT / "scripts" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


build_script = load_build_script()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rebrand.copy_project(tmp_path_factory.mktemp("production") / "project")


def make_build(project: Path, *args: str, site_url: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    # As a top-level make, also when the tests themselves run under `make test` (MAKELEVEL would
    # make the inner make print "make[1]:" and pass the outer one's flags down).
    env = {k: v for k, v in os.environ.items()
           if k not in {"SITE_URL", "ENV_FILE", "PRODUCTION", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    if site_url is not None:
        env["SITE_URL"] = site_url
    started = time.monotonic()
    result = subprocess.run(["make", "--no-print-directory", "-o", ".venv/bin/.installed", "build", *args],
                            cwd=project, env=env, capture_output=True, text=True, timeout=600)
    return result, time.monotonic() - started


def refusal(result: subprocess.CompletedProcess) -> str:
    """The build's one line of refusal (make adds its own line after it)."""
    assert result.returncode != 0, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("make: ")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("build refused: ") and "SITE_URL" in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_production_build_without_site_url_is_refused(project: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such.env"
    result, _ = make_build(project, "PRODUCTION=1", f"ENV_FILE={missing}")
    line = refusal(result)
    assert "SITE_URL is not set" in line and f"in {missing}" in line and "make build" in line
    assert not (project / "site").exists() and not list(project.glob(".site-*"))  # nothing was built


def test_an_environment_file_without_site_url_is_refused_by_name(project: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "service.env"
    env_file.write_text("PORT=8000\nDATABASE_URL=sqlite:///var/waitlist.sqlite3\n", encoding="utf-8")
    line = refusal(make_build(project, "PRODUCTION=1", f"ENV_FILE={env_file}")[0])
    assert "SITE_URL is not set" in line and f"nor in {env_file}" in line


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost:8000", "http://[::1]/", "http://0.0.0.0/"])
def test_a_loopback_site_url_in_the_environment_file_is_refused(project: Path, tmp_path: Path, url: str) -> None:
    env_file = tmp_path / "service.env"
    env_file.write_text(f'PORT=8000\nSITE_URL="{url}"\n', encoding="utf-8")
    line = refusal(make_build(project, "PRODUCTION=1", f"ENV_FILE={env_file}")[0])
    assert f"(from {env_file}) only works on this machine" in line and f"set SITE_URL=https://your.domain/ in {env_file}" in line


def test_a_loopback_site_url_in_the_environment_is_refused(project: Path, tmp_path: Path) -> None:
    line = refusal(make_build(project, "PRODUCTION=1", f"ENV_FILE={tmp_path / 'none.env'}",
                              site_url="http://127.0.0.1:8000/")[0])
    assert "(from the environment) only works on this machine" in line


def test_an_environment_file_that_cannot_be_read_is_refused(project: Path, tmp_path: Path) -> None:
    """Even without PRODUCTION=1: the file is there, so this is the server, and a build that
    ignored it would be local. (A folder in its place: root, who runs the tests here, can read
    any file.)"""
    unreadable = tmp_path / "service.env"
    unreadable.mkdir()
    line = refusal(make_build(project, f"ENV_FILE={unreadable}")[0])
    assert f"cannot read SITE_URL from {unreadable}" in line


def test_the_site_url_comes_from_the_environment_then_the_file_then_this_machine(tmp_path: Path) -> None:
    env_file = tmp_path / "service.env"
    env_file.write_text("# comment\n; comment\nSITE_URL=https://old.example\n\nSITE_URL = 'https://course.example.org'\n",
                        encoding="utf-8")
    resolve = build_script.site_url
    assert resolve({}, env_file, True) == ("https://course.example.org/", str(env_file))
    assert resolve({"SITE_URL": "https://staging.example/"}, env_file, True) == ("https://staging.example/", "the environment")
    assert resolve({}, tmp_path / "none.env", False, "http://127.0.0.1:9000/") == ("http://127.0.0.1:9000/", build_script.LOCAL)
    assert resolve({}, None, False) == (build_script.LOCAL_URL, build_script.LOCAL)
    with pytest.raises(build_script.SiteUrlError, match="not an http"):
        resolve({"SITE_URL": "course.example.org"}, None, False)


def test_make_build_takes_site_url_from_the_environment_file(rebranded: rebrand.Rebranded) -> None:
    """The rebranded build (tests/rebrand.py): SITE_URL only in its ENV_FILE, PRODUCTION=1."""
    site, url = rebranded.site, rebrand.PUBLIC_URL
    assert f"building for {url} (SITE_URL from {rebranded.env_file})" in rebranded.output
    paths = sitemap_paths(site)
    assert paths and all(loc.startswith(url) for loc in re.findall(r"<loc>(.*?)</loc>", (site / "sitemap.xml").read_text()))
    for path in paths:
        doc = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
        canonical = doc.select_one('link[rel="canonical"]')["href"]
        assert canonical == url + path
        assert doc.select_one('meta[property="og:url"]')["content"] == canonical
        assert doc.select_one('meta[property="og:image"]')["content"].startswith(url + "assets/social/")
    assert f"Sitemap: {url}sitemap.xml" in (site / "robots.txt").read_text(encoding="utf-8")
    # Within one `make build`, no worksheet is laid out twice: the build joins the check's layouts
    # (scripts/build.py `sharing_layouts`) into the workbooks and packs. (From a fresh clone the
    # rebranded PDFs are new, so the check lays every sheet out; with them all in the cache, no
    # workbook is joined at all.)
    layouts = 2 * len(load_course(rebranded.project / "data").worksheets)  # A4 and Letter
    checked = re.search(r"laid out (\d+) worksheet PDF\(s\) to check", rebranded.output)
    joined = re.search(r"sheets joined: (\d+) laid out by the check, (\d+) laid out again", rebranded.output)
    if checked and int(checked[1]) == layouts:
        assert joined and (int(joined[1]), int(joined[2])) == (layouts, 0), rebranded.output[-2000:]
    assert joined is None or int(joined[2]) == 0, joined[0]
    sheet = next(site.glob("worksheets/*/*-a4.pdf"))
    footer = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True, check=True).stdout
    assert f"harbour.example/worksheets/{sheet.parent.name}/" in footer
    for file in site.rglob("*"):  # Material's source maps name localhost in its own code
        if file.suffix in {".html", ".js", ".css", ".json", ".xml", ".txt", ".webmanifest"} or file.name == "_headers":
            text = file.read_text(encoding="utf-8")
            assert "127.0.0.1" not in text and "localhost" not in text, file


@pytest.mark.parametrize("told", ["1", ""])
def test_a_build_keeps_bytecode_in_the_cache_never_beside_the_sources(tmp_path: Path, told: str) -> None:
    """With PYTHONDONTWRITEBYTECODE set, the build's modules are compiled once into
    .cache/pycache (not at every build, not beside the sources); without it, Python's usual
    __pycache__ is left as it is."""
    module = tmp_path / "sources" / "rt_probe_module.py"
    module.parent.mkdir()
    module.write_text("VALUE = 7\n", encoding="utf-8")
    script = (f"import sys; sys.path.insert(0, {str(module.parent)!r})\n"
              "import importlib.util\n"
              f"spec = importlib.util.spec_from_file_location('b', {str(ROOT / 'scripts' / 'build.py')!r})\n"
              "build = importlib.util.module_from_spec(spec); spec.loader.exec_module(build)\n"
              "build.keep_bytecode()\n"
              "import rt_probe_module; print(sys.pycache_prefix)\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"}}
    if told:
        env["PYTHONDONTWRITEBYTECODE"] = told
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", script], env=env,
                          capture_output=True, text=True, check=True)
    beside = list(module.parent.rglob("*.pyc"))
    if told:
        assert done.stdout.strip() == str(ROOT / ".cache" / "pycache")
        assert beside == []
        mirror = ROOT / ".cache" / "pycache" / str(module.parent).lstrip("/")
        assert [p.name.split(".")[0] for p in mirror.glob("*.pyc")] == ["rt_probe_module"]
        shutil.rmtree(ROOT / ".cache" / "pycache" / str(tmp_path).lstrip("/"))  # the mirror of this test's folder
    else:
        assert done.stdout.strip() == "None"
        assert [p.name.split(".")[0] for p in beside] == ["rt_probe_module"]
