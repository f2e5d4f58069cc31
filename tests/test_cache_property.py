"""No cache can serve old output (issue 27). In a scratch copy of the project, one input of each
kind is changed — a data file, a template, a stylesheet, a Python module the build runs,
mkdocs.yml and a helpline — then the site is built warm (every cache under `.cache/` as the
session's build of the real project left it, for the same address) and cold (no cache at all):
the two sites are identical byte for byte. Every cache is keyed by the bytes it is made from and
a stamp of the code that made it (publish/stamp.py), so no list of inputs can miss one; this is
the check that none does.

And the case that started it (issue 24): a changed helpline number reaches every worksheet PDF
and the workbooks, where the old PDF key, made from a list of inputs without the helplines,
kept serving PDFs with the old number.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.print.helpers import normal
from tests.rebrand import copy_project

pytestmark = pytest.mark.build

OLD_NUMBER, NEW_NUMBER = '"0808 2000 247"', '"0808 2000 999"'  # the new one exists only in the copy
# (file, old text, new text): one input of each kind, each changing what the build writes.
CHANGES = [
    ("data/helplines.yml", OLD_NUMBER, NEW_NUMBER),  # a helpline: every page's note, every PDF
    ("data/worksheets/first-week.yml", 'title: "The first week: a care plan"',
     'title: "The first week: a plan for care"'),  # a data file: its page, the nav, its PDF
    ("macros/templates/safety_note.html", "", "\n<span hidden>probe</span>"),  # a template, appended
    ("overrides/assets/css/print.css", "", "\n.rt-cache-probe { color: #000; }\n"),  # a stylesheet
    ("publish/markup.py", 'SKIP_LABEL = "Skip to content"', 'SKIP_LABEL = "Skip to the content"'),  # a module
    ("mkdocs.yml", "copyright: Free to read, print and share.", "copyright: Free to read, print and pass on."),
]
CACHE_SETTINGS = ("RT_PDF_CACHE", "RT_JINJA_CACHE", "RT_CSP_CACHE", "RT_OFFLINE_CACHE", "RT_COMPRESS_CACHE",
                  "RT_SOCIAL_CACHE", "RT_FONT_CACHE", "RT_STYLESHEET_CACHE")


def change(project: Path, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text(encoding="utf-8")
    if old:
        assert text.count(old) == 1, f"{name} no longer holds exactly one {old!r}"
        text = text.replace(old, new)
    else:
        text += new
    path.write_text(text, encoding="utf-8")


def builds(*runs: tuple[Path, Path], url: str) -> None:
    """`mkdocs build --strict` in each (project, site folder) of `runs`, side by side, with every
    cache in its default place, `project/.cache/`. (A build is one process: the two of this test
    took twice as long one after the other, a core idle whenever the other worker waited.)"""
    env = {k: v for k, v in os.environ.items() if k not in CACHE_SETTINGS}
    env.update(SITE_URL=url, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    started = []
    for project, out in runs:
        log = (project.parent / f"{out.name}.log").open("w+", encoding="utf-8")
        process = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                                   cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
    for process, log in started:
        status = process.wait(timeout=900)
        log.seek(0)
        assert status == 0, log.read()[-3000:]
        log.close()


def digests(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_warm_build_after_any_kind_of_change_is_the_cold_build_byte_for_byte(
        site: Path, base_url: str, tmp_path: Path) -> None:
    """Built for the session site's address, after it, so the warm build finds in the caches
    everything the changes did not touch, and the old entries of everything they did."""
    project = copy_project(tmp_path / "project")
    for name, old, new in CHANGES:
        change(project, name, old, new)
    cold = tmp_path / "cold-project"  # the same changed project, with no cache at all
    shutil.copytree(project, cold, symlinks=True)
    shutil.copytree(ROOT / ".cache", project / ".cache", ignore=shutil.ignore_patterns("pycache", ".*"))
    assert (project / ".cache" / "pdf").is_dir() and not (cold / ".cache").exists()
    builds((project, tmp_path / "warm"), (cold, tmp_path / "cold"), url=base_url)
    assert (cold / ".cache" / "pdf").is_dir()  # the cold build made its caches from nothing
    warm, cold = digests(tmp_path / "warm"), digests(tmp_path / "cold")
    assert warm.keys() == cold.keys()
    stale = sorted(name for name in warm if warm[name] != cold[name])
    assert not stale, f"{len(stale)} files differ between the warm and the cold build: {stale[:10]}"
    # Each change did reach the site (a change nothing shows would prove nothing).
    reference = digests(site)
    assert sum(reference.get(name) != digest for name, digest in warm.items()) > 100
    page = (tmp_path / "warm" / "index.html").read_text(encoding="utf-8")
    assert "Skip to the content" in page and "pass on." in page and "probe</span>" in page

    pdfs = sorted((tmp_path / "warm" / "worksheets").rglob("*.pdf"))
    assert len(pdfs) >= 30
    for pdf in pdfs:  # read by poppler's pdftotext: fast, and not the library that wrote them
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
        words = "".join(normal(text.stdout).split())
        assert NEW_NUMBER.strip('"').replace(" ", "") in words, pdf.name
        assert OLD_NUMBER.strip('"').replace(" ", "") not in words, pdf.name
