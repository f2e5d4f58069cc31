"""The bad-data suite: ordinary mistakes and hostile text, each on a scratch copy of the project.

Every case runs `make check` and a real `mkdocs build --strict` and asserts the exit status,
that the message names the file (and line where there is one) and the field, and that no
traceback is printed; a few cases check the build's message in full.
Also: the atomic build (a failed build after a good one leaves the output byte-identical) and
PDFs that print no loopback address.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import PROJECT_PARTS
from tests.shared import check_environment

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
SHEET = "data/worksheets/weekly-check-in.yml"
PROMPTS = "data/prompts.yml"


@pytest.fixture(scope="session")
def env(base_url: str) -> dict[str, str]:
    """The scratch builds share the project's caches, which are keyed by the bytes they are made
    from (tests/test_cache_property.py shows a warm build is the cold one), and the session
    site's address, after the session site's build: a mistake's check and build lay out and
    compress only what it changed, not the whole course side by side on the same two cores."""
    return check_environment(base_url)


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str]) -> Path:
    """A scratch copy of the project (the virtualenv linked, file times kept so that make
    does not reinstall it), once the caches are warm."""
    out = tmp_path / "project"
    out.mkdir()
    for name in PROJECT_PARTS:
        shutil.copytree(ROOT / name, out / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, out / name)
    (out / ".venv").symlink_to(ROOT / ".venv")
    return out


def line_of(path: Path, fragment: str) -> int:
    """The 1-based line of the first line holding `fragment`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if fragment in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@dataclass
class Case:
    """A mistake: what it does to the project, the exit status, and what the message must say.
    `expect` may name lines by `(file, fragment)`: the line of the fragment before the edit."""

    id: str
    change: Callable[[Path], None]
    status: int
    expect: list[str | tuple[str, str, str]] = field(default_factory=list)


def where(file: str, fragment: str) -> tuple[str, str, str]:
    return (file, fragment, "")


def _rename(suffix: str) -> Callable[[Path], None]:
    return lambda p: (p / SHEET).rename(p / SHEET.replace(".yml", suffix))


def _subfolder(p: Path) -> None:
    (p / "data/worksheets/drafts").mkdir()
    shutil.copy(p / SHEET, p / "data/worksheets/drafts/new-sheet.yml")


def _deep(p: Path) -> None:
    (p / SHEET).write_text("title: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")


def _deep_mapping(p: Path) -> None:
    (p / SHEET).write_text("".join("  " * n + "a:\n" for n in range(3000)) + "  " * 3000 + "x\n", encoding="utf-8")


def _bytes(p: Path) -> None:
    raw = (p / SHEET).read_bytes()
    (p / SHEET).write_bytes(raw.replace(b"Weekly check-in", b"Weekly \xff\xfe check-in", 1))


def _bom(p: Path) -> None:
    for name in (SHEET, PROMPTS, "docs/betrayal.md"):
        (p / name).write_bytes(b"\xef\xbb\xbf" + (p / name).read_bytes())


def _crlf(p: Path) -> None:
    for name in (SHEET, PROMPTS, "docs/betrayal.md"):
        (p / name).write_bytes((p / name).read_bytes().replace(b"\n", b"\r\n"))


def _very_long(p: Path) -> None:
    words = " ".join(["Say what happened this week, and how it felt."] * 150)  # three pages and more
    edit(p / SHEET, "You can stop at any time.", words)


def _all_lines(p: Path) -> None:
    text = (p / SHEET).read_text(encoding="utf-8")
    (p / SHEET).write_text(re.sub(r"lines: \d+", "lines: 30", text), encoding="utf-8")


CASES = [
    # Finding 3: files dropped silently
    Case("suffix-yaml", _rename(".yaml"), 1, ["data/worksheets/weekly-check-in.yaml: (file):", "not a .yml file"]),
    Case("suffix-YML", _rename(".YML"), 1, ["data/worksheets/weekly-check-in.YML: (file):", "not a .yml file"]),
    Case("suffix-json", lambda p: (p / "data/worksheets/extra.json").write_text("{}"), 1,
         ["data/worksheets/extra.json: (file):", "not a .yml file"]),
    Case("subfolder", _subfolder, 1, ["data/worksheets/drafts/new-sheet.yml: (file):", "subfolder"]),
    Case("stray-file", lambda p: (p / "data/worksheets/notes.txt").write_text("todo"), 1,
         ["data/worksheets/notes.txt: (file):", "not a .yml file"]),
    # Finding 4: macros and template syntax in pages, with the page's real line number
    Case("misspelt-macro", lambda p: edit(p / "docs/betrayal.md", '{{ reflection("betrayal-move-on") }}',
                                          '{{ reflektion("betrayal-move-on") }}'), 1,
         [where("docs/betrayal.md", "betrayal-move-on"), "reflektion(...): unknown macro 'reflektion'",
          "check its spelling"]),
    Case("template-syntax", lambda p: edit(p / "docs/empathy.md", "# Empathy", "{{ broken }\n\n# Empathy"), 1,
         [where("docs/empathy.md", "# Empathy"), "template:"]),
    Case("unclosed-block", lambda p: edit(p / "docs/empathy.md", "# Empathy", "{% if facts %}\n\n# Empathy"), 1,
         ["docs/empathy.md:", "template:", "endif"]),
    Case("unknown-prompt-placed", lambda p: edit(p / "docs/betrayal.md", '"betrayal-move-on")', '"betrayal-move-onn")'), 1,
         [where("docs/betrayal.md", "betrayal-move-on"), "reflection('betrayal-move-onn'): no prompt with id"]),
    Case("prompt-placed-nowhere", lambda p: edit(p / "docs/betrayal.md", '{{ reflection("betrayal-move-on") }}', ""), 1,
         [where(PROMPTS, "- id: betrayal-move-on"), "prompt 'betrayal-move-on': prompt is placed nowhere"]),
    Case("unknown-chapter-in-page", lambda p: edit(p / "docs/betrayal.md", 'chapter_worksheets("betrayal")',
                                                   'chapter_worksheets("betrayl")'), 1,
         [where("docs/betrayal.md", 'chapter_worksheets("betrayal")'), "unknown chapter 'betrayl'"]),
    # Finding 5: messages that YAML's conversions and list indexes made unreadable
    Case("yes-for-text", lambda p: edit(p / SHEET, 'label: "Partner A: one thing I appreciated about you this week"',
                                        "label: Yes"), 1,
         [where(SHEET, "Partner A: one thing I appreciated"), "section 'Appreciations first', field 'a-appreciate', label",
          "got Yes (YAML reads it as True", 'write it in quotes: "Yes"']),
    Case("time-for-text", lambda p: edit(p / SHEET, "label: Week of", "label: 12:30"), 1,
         [where(SHEET, "label: Week of"), "field 'date', label", "YAML reads it as 750", 'write it in quotes: "12:30"']),
    Case("date-for-text", lambda p: edit(p / SHEET, "label: Week of", "label: 2026-11-30"), 1,
         [where(SHEET, "label: Week of"), "datetime.date(2026, 11, 30)", "write it in quotes"]),
    Case("no-for-role", lambda p: edit(p / PROMPTS, "role: broke-trust", "role: No"), 1,
         [where(PROMPTS, "role: broke-trust"), "prompt 'betrayal-move-on', role", "got No (YAML reads it as False"]),
    Case("deep-nesting", _deep, 1, [f"{SHEET}: (file):", "nested too deeply"]),
    Case("deep-mapping", _deep_mapping, 1, [f"{SHEET}: (file):", "nested too deeply"]),
    Case("non-utf8", _bytes, 1, [where(SHEET, "title: Weekly"), "(file)", "not UTF-8"]),
    Case("non-utf8-page", lambda p: (p / "docs/empathy.md").write_bytes(b"---\ntitle: x\n---\n\ncaf\xe9\n"), 1,
         ["docs/empathy.md:5: (file):", "not UTF-8"]),
    Case("time-for-number", lambda p: edit(p / SHEET, "minutes: 20", "minutes: 12:30"), 1,
         [where(SHEET, "minutes: 20"), "minutes: got 12:30 (YAML reads it as 750)"]),
    Case("bom", _bom, 0, ["ok: 6 chapters"]),
    Case("crlf", _crlf, 0, ["ok: 6 chapters"]),
    # Finding 7: characters the PDFs' font cannot draw
    Case("cjk", lambda p: edit(p / SHEET, "title: Weekly check-in", "title: Weekly check-in 信頼"), 1,
         [where(SHEET, "title: Weekly check-in"), "title:", "U+4FE1", "cannot draw"]),
    Case("hangul", lambda p: edit(p / SHEET, "Set aside 20 minutes", "신뢰 Set aside 20 minutes"), 1,
         [where(SHEET, "instructions: |"), "instructions:", "U+C2E0"]),
    Case("emoji", lambda p: edit(p / SHEET, "label: Week of", "label: Week of 👍"), 1,
         [where(SHEET, "label: Week of"), "section 'Appreciations first', field 'date', label:", "U+1F44D"]),
    Case("cjk-chapter-title", lambda p: edit(p / "data/chapters.yml", "title: Understanding betrayal",
                                             "title: Understanding betrayal 裏切り"), 1,
         [where("data/chapters.yml", "title: Understanding betrayal"), "chapter 'betrayal', title:", "U+88CF"]),
    # The two-page print limit
    Case("too-many-lines", _all_lines, 1, [f"{SHEET}: (printed length):", "prints on", "expected at most 2"]),
    Case("very-long-text", _very_long, 1, [f"{SHEET}: (printed length):", "prints on"]),
    # Twenty-odd more ordinary mistakes
    Case("prompts-missing", lambda p: (p / PROMPTS).unlink(), 1, [f"{PROMPTS}: (file):", "file is missing"]),
    Case("prompts-empty", lambda p: (p / PROMPTS).write_text(""), 1, [f"{PROMPTS}: (top level):", "file is empty"]),
    Case("prompts-not-a-list", lambda p: (p / PROMPTS).write_text("id: x\n"), 1,
         [f"{PROMPTS}:1: (top level):", "expected a list"]),
    Case("worksheet-empty", lambda p: (p / SHEET).write_text(""), 1, [f"{SHEET}: (top level):", "file is empty"]),
    Case("worksheet-a-list", lambda p: (p / SHEET).write_text("- a\n- b\n"), 1,
         [f"{SHEET}:1: (top level):", "expected a mapping"]),
    Case("worksheets-folder-missing", lambda p: shutil.rmtree(p / "data/worksheets"), 1,
         ["data/worksheets: (folder):", "folder is missing"]),
    Case("duplicate-prompt-id", lambda p: edit(p / PROMPTS, "- id: betrayal-first-question", "- id: betrayal-move-on"), 1,
         [where(PROMPTS, "- id: betrayal-first-question"), "prompt 'betrayal-move-on', id: duplicate id"]),
    Case("duplicate-field-id", lambda p: edit(p / SHEET, "id: b-appreciate", "id: a-appreciate"), 1,
         [where(SHEET, "id: b-appreciate"), "field 'a-appreciate', id: duplicate field id"]),
    Case("wrong-type", lambda p: edit(p / SHEET, "minutes: 20", "minutes: twenty"), 1,
         [where(SHEET, "minutes: 20"), "minutes: got 'twenty'; expected a whole number"]),
    Case("unknown-chapter", lambda p: edit(p / SHEET, "chapter: practices", "chapter: practise"), 1,
         [where(SHEET, "chapter: practices"), "chapter: unknown chapter 'practise'"]),
    Case("unknown-role", lambda p: edit(p / PROMPTS, "role: broke-trust", "role: victim"), 1,
         [where(PROMPTS, "role: broke-trust"), "prompt 'betrayal-move-on', role: got 'victim'"]),
    Case("unknown-field-type", lambda p: edit(p / SHEET, "- type: date", "- type: calendar"), 1,
         [where(SHEET, "- type: date"), "field 'date': unknown field type 'calendar'", "expected one of: text"]),
    Case("misspelt-field", lambda p: edit(p / SHEET, "summary:", "sumary:"), 1,
         [where(SHEET, "summary:"), "sumary: unknown field 'sumary'", "summary: required field is missing"]),
    Case("invalid-yaml", lambda p: edit(p / SHEET, "title: Weekly check-in", 'title: "Weekly check-in'), 1,
         [f"{SHEET}:", "(file): is not valid YAML"]),
    Case("id-in-worksheet", lambda p: edit(p / SHEET, "title: Weekly", "id: weekly\ntitle: Weekly"), 1,
         [where(SHEET, "title: Weekly"), "id: unknown field 'id'; remove it"]),
    Case("bad-file-name", lambda p: (p / SHEET).rename(p / "data/worksheets/Weekly Check.yml"), 1,
         ["data/worksheets/Weekly Check.yml: id: got 'Weekly Check'", "rename the file"]),
    Case("number-out-of-range", lambda p: edit(p / SHEET, "minutes: 20", "minutes: 999"), 1,
         [where(SHEET, "minutes: 20"), "minutes: got 999; expected a number at most 240"]),
    Case("too-many-columns", lambda p: edit(p / "data/worksheets/consistency-tracker.yml", "How it landed]",
                                            "How it landed, 4, 5, 6, 7, 8, 9]"), 1,
         [where("data/worksheets/consistency-tracker.yml", "columns:"), "field 'tracker', columns", "at most 8"]),
    Case("empty-sections", lambda p: edit(p / SHEET, "sections:", "sections: []\nold_sections:"), 1,
         [f"{SHEET}:", "sections: expected at least 1"]),
]


def expected(case: Case, before: Path) -> list[str]:
    """The case's expected fragments, with `(file, fragment)` turned into `file:line:`."""
    out = []
    for item in case.expect:
        if isinstance(item, tuple):
            file, fragment, _ = item
            out.append(f"{file}:{line_of(before / file, fragment)}:")
        else:
            out.append(item)
    return out


# Cases whose whole message the build itself must print too (not just the file and line).
BUILD_CASES = {"suffix-yaml", "yes-for-text", "deep-nesting", "non-utf8", "duplicate-prompt-id", "misspelt-macro",
               "template-syntax"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_reports_the_mistake_by_file_line_and_field(case: Case, project: Path, env: dict[str, str]) -> None:
    """Each case through `make check` and through a real `mkdocs build --strict`: the same exit
    status, the file (and line) and field named, no traceback from either."""
    wanted = expected(case, project)
    case.change(project)
    result = subprocess.run(["make", "--no-print-directory", "check"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert (result.returncode == 0) == (case.status == 0), output
    assert "Traceback" not in output and "Error:" not in output, output
    for fragment in wanted:
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    build = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "mkdocs", "build", "--strict",
                            "--site-dir", str(project / "out")],
                           cwd=project, env=env, capture_output=True, text=True, timeout=600)
    built = build.stdout + build.stderr
    assert (build.returncode == 0) == (case.status == 0), built
    assert "Traceback" not in built, built
    files = [f for f in wanted if re.match(r"^[\w./ -]+\.(yml|yaml|YML|json|md)(:\d+)?:", f)]
    for fragment in files[:1]:  # the file (and line) the check named, named by the build too
        assert fragment.split(": ")[0] in built, f"{fragment!r} not in:\n{built}"
    if case.id in BUILD_CASES:
        # The build stops at the data and the pages' templates with the check's whole message
        # (the page's real line, not one off by its front matter), before any page is written.
        for fragment in wanted:
            assert fragment in built, f"{fragment!r} not in:\n{built}"


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_build_leaves_the_previous_site_byte_identical(project: Path, env: dict[str, str]) -> None:
    """Finding 6: a good build, then one that fails in its last step (the PDFs: a character
    their font lacks; the check skipped so the failure happens inside mkdocs): the output folder
    is exactly as the good build left it, and no temporary folder is left beside it."""
    out = project / "public"
    build = [str(ROOT / ".venv/bin/python"), "-m", "scripts.build", "--site-dir", str(out)]
    good = subprocess.run(build, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert good.returncode == 0, good.stderr
    before = tree_digest(out)
    assert any(name.endswith("-letter.pdf") for name in before)
    edit(project / SHEET, "title: Weekly check-in", "title: Weekly check-in 信頼")
    bad = subprocess.run([*build, "--no-check"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode != 0
    assert re.search(rf"{re.escape(SHEET)}:\d+: title:", bad.stderr) and "U+4FE1" in bad.stderr and "is unchanged" in bad.stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".public")) == []
    checked = subprocess.run(build, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert checked.returncode == 1 and "U+4FE1" in checked.stderr and "Traceback" not in checked.stderr
    assert tree_digest(out) == before


def test_pdfs_print_no_loopback_address() -> None:
    """Finding 7: without a public SITE_URL the PDFs name no address at all."""
    from pypdf import PdfReader

    from course.data import load_course
    from printing.pdf import PdfMaker, Site

    course = load_course(ROOT / "data")
    maker = PdfMaker(course, Site("Rebuilding Trust", "http://127.0.0.1:8000/"))
    sheet = maker.worksheet("weekly-check-in", "a4")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "Weekly check-in" in text and "127.0.0.1" not in text and "worksheets/weekly" not in text
    workbook = maker.workbook_html("a4")
    assert ">127.0.0.1" not in workbook and 'data-rt-address="127' not in workbook
    public = PdfMaker(course, Site("Rebuilding Trust", "https://example.org/"))
    assert "example.org/worksheets/weekly-check-in/" in public.worksheet_html("weekly-check-in")


@pytest.mark.parametrize("url", ["http://localhost:8000/", "http://[::1]:8000/", "http://0.0.0.0/"])
def test_other_local_addresses_are_not_printed_either(url: str) -> None:
    from printing.pdf import Site

    assert Site("x", url).address == ""


def test_check_module_runs_inside_the_venv() -> None:
    env = check_environment("http://127.0.0.1:8000/")  # --no-print: no PDF, so no address matters
    result = subprocess.run([sys.executable, "-m", "sitebuild.check", "--no-print"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


def test_make_check_knows_the_therapists_packs_length(project: Path, env: dict[str, str], site: Path) -> None:
    """Issue 26: `make check` says how many pages the pack has, as the build wrote it (its page
    count from the cache, for the guide the build packed), and when the next build will lay it
    out again instead: the guide's pages or a worksheet changed."""
    from pypdf import PdfReader

    def check() -> str:
        result = subprocess.run(["make", "--no-print-directory", "check"], cwd=project, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stderr

    built = {size: len(PdfReader(site / "worksheets" / f"rebuilding-trust-therapists-pack-{size}.pdf").pages)
             for size in ("a4", "letter")}
    assert min(built.values()) > 40
    assert f"the therapist's pack: {built['a4']} pages in A4, {built['letter']} pages in US Letter\n" in check()
    guide = project / "docs" / "therapists" / "betrayal.md"
    before = guide.read_text(encoding="utf-8")
    guide.write_text(before + "\nOne more line for the session.\n", encoding="utf-8")
    assert ("the therapist's pack: docs/therapists/ changed since the last build; `make build` lays it out again"
            in check())
    guide.write_text(before, encoding="utf-8")
    edit(project / SHEET, "title: Weekly check-in", "title: Weekly check-in, together")
    assert "the therapist's pack: its worksheets or its look changed since the last build" in check()


def test_with_pdfs_switched_off_the_check_lays_none_out(tmp_path: Path) -> None:
    """RT_PDF=0 (a build without PDFs: DEPLOY.md's tests, previews) checks the lengths the cache
    knows and lays out none it lacks, as `--no-print` does: no minute spent on PDFs nobody writes."""
    cache = tmp_path / "pdf"
    env = {**check_environment("https://course.example.org/"), "RT_PDF_CACHE": str(cache), "RT_PDF": "0"}
    result = subprocess.run([sys.executable, "-m", "sitebuild.check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:") and "laid out" not in result.stderr
    assert not cache.exists() or not list(cache.glob("*.pdf"))
