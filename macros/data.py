"""Load and validate the course's data, reporting every problem at once.

Nothing here knows about MkDocs: give it the data folder (and, for placement checks, the
Markdown of the pages) and it returns records or a list of problems, each naming the file,
the field and what was expected.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from .helplines import Helpline, cross_problems
from .model import FIELD_MODELS, FIELD_TYPES, Chapter, Prompt, Record, Worksheet

MACRO_CALL = re.compile(
    r"""\b(reflection|worksheet|chapter_worksheets)\(\s*["']([^"']*)["']\s*\)"""
)


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class CourseDataError(Exception):
    """Raised with every problem found, so an editor can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the course data:\n{lines}")


@dataclass
class Course:
    chapters: list[Chapter]
    prompts: dict[str, Prompt]
    worksheets: dict[str, Worksheet]
    root: Path = field(default=Path("data"))
    helplines: list[Helpline] = field(default_factory=list)

    def chapter(self, chapter_id: str) -> Chapter:
        return next(c for c in self.chapters if c.id == chapter_id)

    def worksheets_of(self, chapter_id: str) -> list[Worksheet]:
        return [w for w in self.worksheets.values() if w.chapter == chapter_id]

    def prompts_of(self, chapter_id: str) -> list[Prompt]:
        return [p for p in self.prompts.values() if p.chapter == chapter_id]


# --- reading files ------------------------------------------------------------------------


def _read_yaml(path: Path, shown: str, problems: list[Problem]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(shown, "(file)", "file is missing"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problems.append(Problem(shown, where, f"is not valid YAML: {getattr(error, 'problem', error)}"))
    return None


# --- turning pydantic's errors into editor-facing messages --------------------------------


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The record type that a location inside `model` points into (for listing its fields)."""
    current: type[BaseModel] | None = model
    for index, part in enumerate(loc):
        if isinstance(part, int):
            continue
        if part in FIELD_MODELS and index >= 2 and loc[index - 2] == "fields":
            current = FIELD_MODELS[part]  # the union's tag names the field's record type
            continue
        info = current.model_fields.get(part) if current else None
        if info is None:
            return current
        inner = getattr(info.annotation, "__args__", (info.annotation,))
        nested = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else None
    return current


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in FIELD_TYPES and index and isinstance(loc[index - 1], int):
            continue  # the union's tag, not a real step in the file
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind, ctx, got = error["type"], error.get("ctx", {}), error.get("input")
    loc = error["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        known = [n for n in (owner.model_fields if owner else {}) if n != "id" or owner is not Worksheet]
        return f"unknown field {loc[-1]!r}; expected one of: {', '.join(known)}"
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return f"unknown field type {ctx.get('tag', '(none)')!r}; expected one of: {', '.join(FIELD_TYPES)}"
    if kind == "literal_error":
        return f"got {_describe(got)}; expected one of: {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return f"got {_describe(got)}; expected {PATTERN_WORDS.get(ctx.get('pattern', ''), ID_WORDS)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"got {_describe(got)}; expected a whole number"
    if kind in {"string_type"}:
        return f"got {_describe(got)}; expected text"
    if kind in {"list_type"}:
        return f"got {_describe(got)}; expected a list"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"got {_describe(got)}; expected a mapping of fields"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return f"got {_describe(got)}; expected a number {'at least ' + str(ctx['ge']) if 'ge' in ctx else 'at most ' + str(ctx['le'])}"
    if kind == "too_short":
        return f"expected at least {ctx['min_length']} item(s) or character(s)"
    if kind == "too_long":
        return f"expected at most {ctx['max_length']} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"got {_describe(got)}; {error['msg'][0].lower()}{error['msg'][1:]}"


ID_WORDS = "lowercase letters, digits and hyphens, like 'weekly-check-in'"
# What each pattern of a record's fields means, in words (helplines.py's fields).
PATTERN_WORDS = {
    r"^https://[^\s]+$": "a web address starting with https://, like 'https://example.org/'",
    r"^\d{4}-\d{2}-\d{2}$": "a date written year-month-day in quotes, like \"2026-11-30\"",
    r"^[0-9][0-9 -]*[0-9]$": "a phone number of digits, spaces and hyphens in quotes, like \"0808 2000 247\"",
    r"^([a-z]{2}|other)$": "a two-letter country code in lowercase, like 'uk', or 'other'",
}


def _validate(model: type[Record], raw: Any, shown: str, prefix: tuple[Any, ...], problems: list[Problem]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = prefix + tuple(error["loc"])
            problems.append(Problem(shown, _path(loc), _message(error, model)))
        return None


# --- the course ---------------------------------------------------------------------------


def _load_list(path: Path, shown: str, model: type[Record], problems: list[Problem]) -> list[Any]:
    before = len(problems)
    raw = _read_yaml(path, shown, problems)
    if raw is None:
        if len(problems) == before:
            problems.append(Problem(shown, "(top level)", "file is empty; expected a list of entries"))
        return []
    if not isinstance(raw, list):
        problems.append(Problem(shown, "(top level)", f"got {_describe(raw)}; expected a list of entries"))
        return []
    records = [_validate(model, item, shown, (index,), problems) for index, item in enumerate(raw)]
    ids = Counter(r.id for r in records if r is not None)
    for index, record in enumerate(records):
        if record is not None and ids[record.id] > 1:
            problems.append(Problem(shown, f"[{index}].id", f"duplicate id {record.id!r}; expected every id to be unique"))
    return [r for r in records if r is not None]


def _load_worksheet(path: Path, shown: str, problems: list[Problem]) -> Worksheet | None:
    before = len(problems)
    raw = _read_yaml(path, shown, problems)
    if raw is None:
        if len(problems) == before:
            problems.append(Problem(shown, "(top level)", "file is empty; expected a worksheet"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(shown, "(top level)", f"got {_describe(raw)}; expected a mapping of fields"))
        return None
    if "id" in raw:
        problems.append(Problem(shown, "id", "unknown field 'id'; the file name is the worksheet's id"))
        return None
    worksheet = _validate(Worksheet, {"id": path.stem, **raw}, shown, (), problems)
    if worksheet is None:
        return None
    seen = Counter(f.id for f in worksheet.fields)
    for s, section in enumerate(worksheet.sections):
        for f, item in enumerate(section.fields):
            if seen[item.id] > 1:
                problems.append(Problem(shown, f"sections[{s}].fields[{f}].id",
                                        f"duplicate field id {item.id!r}; expected ids unique within the worksheet"))
    return worksheet


def load_course(root: Path) -> Course:
    """Read and validate everything under `root` (the data folder). Raises CourseDataError."""
    problems: list[Problem] = []
    base = root.parent
    shown = lambda p: str(p.relative_to(base)) if p.is_relative_to(base) else str(p)  # noqa: E731

    chapters = _load_list(root / "chapters.yml", shown(root / "chapters.yml"), Chapter, problems)
    prompts = _load_list(root / "prompts.yml", shown(root / "prompts.yml"), Prompt, problems)
    worksheets: dict[str, Worksheet] = {}
    for path in sorted((root / "worksheets").glob("*.yml")):
        worksheet = _load_worksheet(path, shown(path), problems)
        if worksheet is not None:
            worksheets[worksheet.id] = worksheet

    known = [c.id for c in chapters]
    for index, prompt in enumerate(prompts):
        if prompt.chapter not in known:
            problems.append(Problem(shown(root / "prompts.yml"), f"[{index}].chapter",
                                    f"unknown chapter {prompt.chapter!r}; expected one of: {', '.join(known)}"))
    for worksheet in worksheets.values():
        if worksheet.chapter not in known:
            problems.append(Problem(shown(root / "worksheets" / f"{worksheet.id}.yml"), "chapter",
                                    f"unknown chapter {worksheet.chapter!r}; expected one of: {', '.join(known)}"))
    helplines: list[Helpline] = []
    if (root / "helplines.yml").exists():  # optional: a course without helplines shows none
        helplines = _load_list(root / "helplines.yml", shown(root / "helplines.yml"), Helpline, problems)
        problems += [Problem(shown(root / "helplines.yml"), where, message) for where, message in cross_problems(helplines)]
    if problems:
        raise CourseDataError(problems)
    return Course(chapters, {p.id: p for p in prompts}, worksheets, root, helplines)


def check_placements(course: Course, pages: Mapping[str, str]) -> list[Problem]:
    """Check the macro calls in the pages' Markdown against the data.

    `pages` maps a page's path (as shown to editors, e.g. `docs/betrayal.md`) to its Markdown.
    Reflection prompts must be placed exactly once, in their own chapter's page
    (`docs/<chapter>.md`); every id a page names must exist.
    """
    problems: list[Problem] = []
    placed: dict[str, list[str]] = {}
    chapters = {c.id for c in course.chapters}
    for page, text in pages.items():
        for line_no, line in enumerate(text.splitlines(), start=1):
            for kind, ident in MACRO_CALL.findall(line):
                where = f"line {line_no}: {kind}({ident!r})"
                if kind == "reflection":
                    placed.setdefault(ident, []).append(page)
                    if ident not in course.prompts:
                        problems.append(Problem(page, where, f"no prompt with id {ident!r}; expected an id defined in data/prompts.yml"))
                elif kind == "worksheet" and ident not in course.worksheets:
                    problems.append(Problem(page, where, f"no worksheet with id {ident!r}; expected a file data/worksheets/{ident}.yml"))
                elif kind == "chapter_worksheets" and ident not in chapters:
                    problems.append(Problem(page, where, f"unknown chapter {ident!r}; expected one of: {', '.join(sorted(chapters))}"))
    for prompt in course.prompts.values():
        pages_of = placed.get(prompt.id, [])
        expected = f'a line {{{{ reflection("{prompt.id}") }}}} in docs/{prompt.chapter}.md'
        if not pages_of:
            problems.append(Problem("data/prompts.yml", prompt.id, f"prompt is placed nowhere; expected {expected}"))
        elif len(pages_of) > 1:
            problems.append(Problem("data/prompts.yml", prompt.id, f"prompt is placed {len(pages_of)} times ({', '.join(pages_of)}); expected exactly once"))
        elif Path(pages_of[0]).stem != prompt.chapter:
            problems.append(Problem("data/prompts.yml", prompt.id, f"prompt of chapter {prompt.chapter!r} is placed in {pages_of[0]}; expected {expected}"))
    return problems


def read_pages(docs: Path) -> dict[str, str]:
    """Every Markdown page under `docs`, keyed by its path relative to the project."""
    return {str(p.relative_to(docs.parent)): p.read_text(encoding="utf-8") for p in sorted(docs.rglob("*.md"))}


def load_and_check(root: Path, docs: Path) -> Course:
    """The whole check a build starts with: data, then every macro call in the pages."""
    course = load_course(root)
    problems = check_placements(course, read_pages(docs))
    if problems:
        raise CourseDataError(problems)
    return course


def schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas for editors' YAML plugins, generated from the records."""
    worksheet = Worksheet.model_json_schema()
    worksheet["properties"].pop("id")
    worksheet["required"].remove("id")
    worksheet["title"] = "Rebuilding Trust worksheet"
    prompts = TypeAdapter(list[Prompt]).json_schema()
    prompts["title"] = "Rebuilding Trust reflection prompts"
    return {"worksheet.schema.json": worksheet, "prompts.schema.json": prompts}


_MEMO: dict[tuple[object, ...], Course] = {}


def _signature(*folders: Path) -> tuple[object, ...]:
    files = sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def load_and_check_once(root: Path, docs: Path) -> Course:
    """`load_and_check`, done once per state of the files: the macros and the page
    generator share one load per build, and a live-reload rebuild after an edit loads anew."""
    key = _signature(root, docs)
    if key not in _MEMO:
        _MEMO.clear()
        _MEMO[key] = load_and_check(root, docs)
    return _MEMO[key]
