"""Every built page is valid HTML: the W3C Nu HTML Checker (vnu.jar, pinned in tests/vnu/ and
installed by `make test`) reports no error on any of them, apart from the exceptions listed
below, each with its reason and matched by its exact message and the exact source of the
element it is about.

One Java run checks every page (a JVM start costs more than checking all of them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import ROOT, page_paths

VNU = ROOT / "tests" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass(frozen=True)
class Allowed:
    """An error the checker reports that is not one: its message, the element's source as it
    stands in the page (from `<` to `>`), and why it is allowed."""

    message: str
    element: str
    reason: str


ALLOWED = (
    Allowed(
        message="A “link” element with a “blocking” attribute must have a “rel” attribute whose value is “stylesheet”.",
        element='<link rel="expect" href="#rt-parsed" blocking="render">',
        reason="overrides/main.html holds the first paint until the page is parsed (README, Choices). "
               "rel=expect with blocking=render is in the HTML standard; the checker (26.9.27) predates it.",
    ),
)


@dataclass(frozen=True)
class Error:
    file: str  # relative to the site
    line: int
    message: str
    source: str  # the text the checker points at

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}\n    {self.source[:200]}"

    def allowed(self) -> Allowed | None:
        return next((a for a in ALLOWED if a.message == self.message and a.element == self.source), None)


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def source_of(lines: list[str], message: dict) -> str:  # type: ignore[type-arg]
    """The text a message points at: from (firstLine, firstColumn) to (lastLine, lastColumn),
    both 1-based and inclusive, as the checker reports them."""
    if "lastLine" not in message:
        return ""
    last, first = message["lastLine"], message.get("firstLine", message["lastLine"])
    chosen = lines[first - 1:last]
    if not chosen:
        return ""
    chosen[-1] = chosen[-1][:message.get("lastColumn", len(chosen[-1]))]
    chosen[0] = chosen[0][message.get("firstColumn", 1) - 1:]
    return "\n".join(chosen)


@pytest.fixture(scope="module")
def errors(site: Path) -> list[Error]:
    """Every error the checker reports on the built site's pages, in one run."""
    assert shutil.which("java"), "Java not found: the HTML checker needs Java 11 or later (Debian: default-jre-headless)"
    assert VNU.is_file(), f"{VNU.relative_to(ROOT)} is missing: `make test` installs it (cd tests/vnu && npm ci)"
    files = pages(site)
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", "--stdout", "--exit-zero-always",
         *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"the HTML checker did not run (exit {result.returncode}):\n{result.stderr}"
    report = json.loads(result.stdout)
    lines = {path: path.read_text(encoding="utf-8").splitlines() for path in files}
    found = []
    for message in report["messages"]:
        if message["type"] == "info":  # --errors-only leaves none; never an error
            continue
        path = Path(unquote(urlsplit(message.get("url", "")).path))
        text = message["message"] if message["type"] == "error" else f"{message['type']}: {message['message']}"
        found.append(Error(path.relative_to(site).as_posix() if path.is_relative_to(site) else str(path),
                           message.get("lastLine", 0), text, source_of(lines.get(path, []), message)))
    return found


def test_every_page_of_the_sitemap_and_the_404_page_are_checked(site: Path) -> None:
    checked = {path.relative_to(site).as_posix() for path in pages(site)}
    expected = {f"{path}index.html" for path in page_paths(site)} | {"404.html"}
    assert expected <= checked, sorted(expected - checked)


def test_the_html_checker_finds_no_error_on_any_page(errors: list[Error]) -> None:
    unexpected = [e for e in errors if not e.allowed()]
    assert not unexpected, f"{len(unexpected)} HTML error(s) (W3C Nu HTML Checker):\n" + "\n".join(map(str, unexpected))


def test_every_allowed_error_still_occurs(errors: list[Error]) -> None:
    """An exception the checker no longer reports is dropped from the list, so none can hide
    a future error."""
    stale = [a for a in ALLOWED if not any(e.allowed() == a for e in errors)]
    assert not stale, "allowed errors the checker no longer reports; remove them from ALLOWED:\n" + "\n".join(
        f"{a.message} {a.element}" for a in stale)
