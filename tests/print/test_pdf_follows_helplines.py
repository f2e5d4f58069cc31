"""PDFs follow what they print (issue 24): a PDF's cache key is a digest of its HTML, the
stylesheets and WeasyPrint's version (macros/pdf.py), so a helpline changed in
data/helplines.yml reaches every worksheet PDF and the workbook after a warm build, where the
old key, made from a list of inputs that left the helplines out, kept serving PDFs with the old
number. Built in a scratch copy of the project, sharing the project's PDF cache (keyed by
content, so sharing it is safe)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.print.helpers import normal, pdf_reader
from tests.rebrand import copy_project

OLD = '"0808 2000 247"'
NEW = '"0808 2000 999"'  # a made-up number that exists only in this scratch copy


def build(project: Path, out: Path, url: str) -> None:
    env = {**os.environ, "SITE_URL": url, "NO_MKDOCS_2_WARNING": "1",
           "RT_PDF_CACHE": str(Path(__file__).resolve().parents[2] / ".cache" / "pdf")}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                            cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


def pdf_texts(site: Path) -> dict[str, str]:
    return {pdf.relative_to(site).as_posix(): "".join(normal(" ".join(p.extract_text() for p in pdf_reader(pdf.read_bytes()).pages)).split())
            for pdf in sorted(site.glob("worksheets/**/*.pdf"))}


def test_a_changed_helpline_number_reaches_every_pdf_after_a_warm_build(site: Path, base_url: str, tmp_path: Path) -> None:
    """Built for the session site's address, after it: the first build takes every PDF from the
    cache, as a warm `make build` does."""
    project = copy_project(tmp_path / "project")
    url = base_url
    build(project, tmp_path / "before", url)
    before = pdf_texts(tmp_path / "before")
    assert len(before) >= 30
    assert all(OLD.strip('"').replace(" ", "") in text for text in before.values())

    helplines = project / "data" / "helplines.yml"
    text = helplines.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    helplines.write_text(text.replace(OLD, NEW), encoding="utf-8")
    build(project, tmp_path / "after", url)
    after = pdf_texts(tmp_path / "after")
    assert after.keys() == before.keys()
    for name, words in after.items():
        assert NEW.strip('"').replace(" ", "") in words, name
        assert OLD.strip('"').replace(" ", "") not in words, name
