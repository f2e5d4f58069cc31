"""Load and validate the course's data, reporting every problem at once.

Nothing here knows about MkDocs: give it the data folder (and, for placement checks, the
Markdown of the pages) and it returns records or a list of problems, each naming the file,
the field and what was expected.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
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


@dataclass(frozen=True)
class Problem:
    """One thing an editor must fix: `file:line: field: what was found; what to do`."""

    file: str
    field: str
    message: str
    line: int = 0  # 1-based line in `file`; 0 when the problem is the whole file

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.field, self.message)


class CourseDataError(Exception):
    """Raised with every problem found, so an editor can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=Problem.sort_key)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the course data:\n{lines}")


@dataclass
class Course:
    chapters: list[Chapter]
    prompts: dict[str, Prompt]
    worksheets: dict[str, Worksheet]
    root: Path = field(default=Path("data"))
    helplines: list[Helpline] = field(default_factory=list)
    prompt_lines: dict[str, int] = field(default_factory=dict)  # prompt id -> its line in prompts.yml

    def chapter(self, chapter_id: str) -> Chapter:
        return next(c for c in self.chapters if c.id == chapter_id)

    def worksheets_of(self, chapter_id: str) -> list[Worksheet]:
        return [w for w in self.worksheets.values() if w.chapter == chapter_id]

    def ordered_worksheets(self) -> list[Worksheet]:
        """Every worksheet in course order, chapter by chapter: the navigation's, the PDFs' and
        the workbook's order."""
        return [w for c in self.chapters for w in self.worksheets_of(c.id)]

    def prompts_of(self, chapter_id: str) -> list[Prompt]:
        return [p for p in self.prompts.values() if p.chapter == chapter_id]


# --- reading files ------------------------------------------------------------------------


@dataclass
class Source:
    """A YAML file's data and its node tree (for line numbers)."""

    data: Any
    node: yaml.Node | None


def _decode(raw: bytes, shown: str, problems: list[Problem]) -> str | None:
    """UTF-8 text, with or without a byte-order mark; CRLF line endings are fine for YAML."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.append(Problem(shown, "(file)", f"byte {raw[error.start]:#04x} is not UTF-8 text; "
                                "save the file as UTF-8 (in most editors: Save with encoding, UTF-8)", line))
        return None


# libyaml's parser, when PyYAML has it: the same nodes, line numbers and values as the Python
# one (the constructor and resolver are shared), five times faster on the worksheets.
FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _parse(text: str, loader_class: type[yaml.SafeLoader]) -> Source:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return Source(loader.construct_document(node) if node is not None else None, node)
    finally:
        loader.dispose()


def _read_yaml(path: Path, shown: str, problems: list[Problem]) -> Source:
    try:
        text = _decode(path.read_bytes(), shown, problems)
    except FileNotFoundError:
        problems.append(Problem(shown, "(file)", "file is missing; create it (see data/README.md)"))
        return Source(None, None)
    except OSError as error:
        problems.append(Problem(shown, "(file)", f"cannot be read ({error.strerror}); expected a YAML file"))
        return Source(None, None)
    if text is None:
        return Source(None, None)
    if FAST_LOADER is not None:
        try:
            return _parse(text, FAST_LOADER)
        except (yaml.YAMLError, RecursionError):
            pass  # said below in the words of the reference loader, which the messages quote
    try:
        return _parse(text, yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.append(Problem(shown, "(file)", f"is not valid YAML: {getattr(error, 'problem', error)}; "
                                "check the indentation and quotes on this line and the one before",
                                mark.line + 1 if mark else 0))
    except RecursionError:
        problems.append(Problem(shown, "(file)", "is nested too deeply to read; expected a worksheet's few levels "
                                "(sections, fields, items)"))
    return Source(None, None)


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node that a pydantic error location reaches (for its line)."""
    for index, part in enumerate(loc):
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                if part in FIELD_TYPES and index and isinstance(loc[index - 1], int):
                    continue  # the union's tag
                return node
            node = match
        else:
            return node
    return node


def _line(node: yaml.Node | None, loc: tuple[Any, ...] = ()) -> int:
    found = _node_at(node, loc)
    return found.start_mark.line + 1 if found is not None else 0


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


NOUNS = {"sections": "section", "fields": "field", "items": "item", "columns": "column",
         "row_labels": "row label", "prompts": "prompt", "chapters": "chapter", "helplines": "helpline"}


def _path(loc: tuple[Any, ...], raw: Any = None, noun: str = "entry") -> str:
    """A location as an editor reads it: `section 'The week', field 'tracker', rows` rather
    than `sections[0].fields[1].rows`; entries are named by their id or title, else counted from 1."""
    out: list[str] = []
    current = raw
    for index, part in enumerate(loc):
        if isinstance(part, int):
            item = current[part] if isinstance(current, list) and 0 <= part < len(current) else None
            name = next((item[k] for k in ("id", "title") if isinstance(item, dict) and isinstance(item.get(k), str)), None)
            out.append(f"{noun} {name!r}" if name else f"{noun} {part + 1}")
            current = item
        elif part in FIELD_TYPES and index and isinstance(loc[index - 1], int) and noun == "field":
            continue  # the union's tag, not a real step in the file (a helpline's `text` is one)
        else:
            current = current.get(part) if isinstance(current, dict) else None
            if index + 1 < len(loc) and isinstance(loc[index + 1], int):
                noun = NOUNS.get(str(part), str(part))
            else:
                out.append(str(part))
    return ", ".join(out) or "(top level)"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_conversion(got: Any, node: yaml.Node | None) -> str | None:
    """YAML turns some unquoted words into other things (`Yes` -> True, `12:30` -> 750, a date
    -> a date): say what was written, what YAML made of it, and to quote it."""
    if isinstance(got, str) or not isinstance(node, yaml.ScalarNode) or node.style:
        return None
    return (f"got {node.value} (YAML reads it as {_describe(got)}, not as text); "
            f"write it in quotes: \"{node.value}\"")


def _message(error: Mapping[str, Any], model: type[BaseModel], node: yaml.Node | None = None) -> str:
    kind, ctx, got = error["type"], error.get("ctx", {}), error.get("input")
    loc = error["loc"]
    if kind in {"string_type", "literal_error"} and (converted := _yaml_conversion(got, node)):
        return converted + (f"; expected one of: {ctx['expected']}" if kind == "literal_error" else "")
    if (kind in {"greater_than_equal", "less_than_equal"} and isinstance(node, yaml.ScalarNode)
            and node.value != str(got)):  # 12:30 read as 750
        limit = f"at least {ctx['ge']}" if "ge" in ctx else f"at most {ctx['le']}"
        return f"got {node.value} (YAML reads it as {_describe(got)}); expected a whole number {limit}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        known = [n for n in (owner.model_fields if owner else {}) if n != "id" or owner is not Worksheet]
        return f"unknown field {loc[-1]!r}; expected one of: {', '.join(known)} (check its spelling and indentation)"
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
        return f"expected at most {ctx['max_length']} item(s) or character(s)"
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


def _validate(model: type[Record], raw: Any, shown: str, prefix: tuple[Any, ...], problems: list[Problem],
              source: Source | None = None, noun: str = "entry") -> Any:
    source = source or Source(raw, None)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = prefix + tuple(error["loc"])
            node = _node_at(source.node, loc)
            line = node.start_mark.line + 1 if node is not None else 0
            problems.append(Problem(shown, _path(loc, source.data, noun), _message(error, model, node), line))
    except RecursionError:
        problems.append(Problem(shown, _path(prefix, source.data, noun), "is nested too deeply; expected a "
                                "worksheet's few levels (sections, fields, items)", _line(source.node, prefix)))
    return None


# --- the course ---------------------------------------------------------------------------


def _load_list(path: Path, shown: str, model: type[Record], problems: list[Problem],
               lines: dict[str, int] | None = None) -> list[Any]:
    before = len(problems)
    source = _read_yaml(path, shown, problems)
    raw, noun = source.data, NOUNS.get(path.stem, "entry")
    if raw is None:
        if len(problems) == before:
            problems.append(Problem(shown, "(top level)", "file is empty; expected a list of entries, each starting with `- id:`"))
        return []
    if not isinstance(raw, list):
        problems.append(Problem(shown, "(top level)", f"got {_describe(raw)}; expected a list of entries, each "
                                "starting with `- id:`", _line(source.node)))
        return []
    records = [_validate(model, item, shown, (index,), problems, source, noun) for index, item in enumerate(raw)]
    ids = Counter(r.id for r in records if r is not None)
    for index, record in enumerate(records):
        if record is None:
            continue
        line = _line(source.node, (index, "id"))
        if lines is not None:
            lines.setdefault(record.id, line)
        if ids[record.id] > 1:
            problems.append(Problem(shown, f"{noun} {record.id!r}, id", f"duplicate id {record.id!r}; "
                                    "give each entry an id of its own", line))
    return [r for r in records if r is not None]


WORKSHEET_SUFFIX = ".yml"


def _load_worksheet(path: Path, shown: str, problems: list[Problem],
                    chapter_lines: dict[str, int] | None = None) -> Worksheet | None:
    before = len(problems)
    source = _read_yaml(path, shown, problems)
    raw = source.data
    if raw is None:
        if len(problems) == before:
            problems.append(Problem(shown, "(top level)", "file is empty; expected a worksheet (see data/README.md)"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(shown, "(top level)", f"got {_describe(raw)}; expected a mapping of fields "
                                "(title:, chapter:, ...)", _line(source.node)))
        return None
    if "id" in raw:
        problems.append(Problem(shown, "id", "unknown field 'id'; remove it: the file name is the worksheet's id",
                                _line(source.node, ("id",))))
        return None
    worksheet = _validate(Worksheet, {"id": path.stem, **raw}, shown, (), problems, source)
    for index, problem in enumerate(problems[before:], start=before):
        if problem.file == shown and problem.field == "id":  # the id is the file name: no line of its own
            problems[index] = Problem(shown, "id", f"{problem.message}; rename the file")
    if worksheet is None:
        return None
    if chapter_lines is not None:
        chapter_lines[worksheet.id] = _line(source.node, ("chapter",))
    seen = Counter(f.id for f in worksheet.fields)
    for s, section in enumerate(worksheet.sections):
        for f, item in enumerate(section.fields):
            if seen[item.id] > 1:
                loc = ("sections", s, "fields", f, "id")
                problems.append(Problem(shown, _path(loc, raw), f"duplicate field id {item.id!r}; give each "
                                        "field of the worksheet an id of its own", _line(source.node, loc)))
    return worksheet


def _worksheet_files(folder: Path, shown: Callable[[Path], str], problems: list[Problem]) -> list[Path]:
    """Every file under data/worksheets/ is a worksheet or a problem: none is skipped silently."""
    found: list[Path] = []
    if not folder.is_dir():
        problems.append(Problem(shown(folder), "(folder)", "folder is missing; create it and put one "
                                "<id>.yml file per worksheet in it"))
        return found
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        if path.parent != folder:
            problems.append(Problem(shown(path), "(file)", "is in a subfolder, which the build does not read; "
                                    f"move it to {shown(folder)}/ as <id>.yml"))
        elif path.suffix != WORKSHEET_SUFFIX:
            problems.append(Problem(shown(path), "(file)", f"is not a .yml file, so it is not read as a worksheet; "
                                    f"write the worksheet as YAML in {shown(folder)}/{path.stem.lower()}.yml "
                                    "(or move this file out of the folder)"))
        else:
            found.append(path)
    return found


def load_course(root: Path) -> Course:
    """Read and validate everything under `root` (the data folder). Raises CourseDataError."""
    problems: list[Problem] = []
    base = root.parent
    shown = lambda p: str(p.relative_to(base)) if p.is_relative_to(base) else str(p)  # noqa: E731

    chapters = _load_list(root / "chapters.yml", shown(root / "chapters.yml"), Chapter, problems)
    prompt_lines: dict[str, int] = {}
    prompts = _load_list(root / "prompts.yml", shown(root / "prompts.yml"), Prompt, problems, prompt_lines)
    worksheets: dict[str, Worksheet] = {}
    chapter_lines: dict[str, int] = {}
    for path in _worksheet_files(root / "worksheets", shown, problems):
        worksheet = _load_worksheet(path, shown(path), problems, chapter_lines)
        if worksheet is not None:
            worksheets[worksheet.id] = worksheet

    known = [c.id for c in chapters]
    for prompt in prompts:
        if prompt.chapter not in known:
            problems.append(Problem(shown(root / "prompts.yml"), f"prompt {prompt.id!r}, chapter",
                                    f"unknown chapter {prompt.chapter!r}; expected one of: {', '.join(known)}",
                                    prompt_lines.get(prompt.id, 0)))
    for worksheet in worksheets.values():
        if worksheet.chapter not in known:
            problems.append(Problem(shown(root / "worksheets" / f"{worksheet.id}.yml"), "chapter",
                                    f"unknown chapter {worksheet.chapter!r}; expected one of: {', '.join(known)}",
                                    chapter_lines.get(worksheet.id, 0)))
    helplines: list[Helpline] = []
    if (root / "helplines.yml").exists():  # optional: a course without helplines shows none
        before = len(problems)
        helplines = _load_list(root / "helplines.yml", shown(root / "helplines.yml"), Helpline, problems)
        if len(problems) == before:  # across entries only when each entry is sound: one mistake, one message
            problems += [Problem(shown(root / "helplines.yml"), where, message) for where, message in cross_problems(helplines)]
    if problems:
        raise CourseDataError(problems)
    return Course(chapters, {p.id: p for p in prompts}, worksheets, root, helplines, prompt_lines)


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
                where = f"{kind}({ident!r})"
                if kind == "reflection":
                    placed.setdefault(ident, []).append(page)
                    if ident not in course.prompts:
                        problems.append(Problem(page, where, f"no prompt with id {ident!r}; use an id defined in "
                                                "data/prompts.yml, or add the prompt there", line_no))
                elif kind == "worksheet" and ident not in course.worksheets:
                    problems.append(Problem(page, where, f"no worksheet with id {ident!r}; expected a file "
                                            f"data/worksheets/{ident}.yml", line_no))
                elif kind == "chapter_worksheets" and ident not in chapters:
                    problems.append(Problem(page, where, f"unknown chapter {ident!r}; expected one of: "
                                            f"{', '.join(sorted(chapters))}", line_no))
    for prompt in course.prompts.values():
        pages_of = placed.get(prompt.id, [])
        expected = f'a line {{{{ reflection("{prompt.id}") }}}} in docs/{prompt.chapter}.md'
        prompt_line = course.prompt_lines.get(prompt.id, 0)
        field = f"prompt {prompt.id!r}"
        if not pages_of:
            problems.append(Problem("data/prompts.yml", field, f"prompt is placed nowhere; add {expected}", prompt_line))
        elif len(pages_of) > 1:
            problems.append(Problem("data/prompts.yml", field, f"prompt is placed {len(pages_of)} times "
                                    f"({', '.join(pages_of)}); keep exactly one", prompt_line))
        elif Path(pages_of[0]).stem != prompt.chapter:
            problems.append(Problem("data/prompts.yml", field, f"prompt of chapter {prompt.chapter!r} is placed in "
                                    f"{pages_of[0]}; move it: expected {expected}", prompt_line))
    return problems


# The macros macros/__init__.py registers, and the ones mkdocs-macros itself provides.
MACROS = ("reflection", "worksheet", "chapter_worksheets", "worksheet_index", "chapter_cards", "journal",
          "safety_note", "helplines", "urgent_help", "waitlist_form", "waitlist_action")
BUILTINS = ("context", "pretty", "macros_info", "now", "fix_url", "range", "dict", "lipsum", "cycler",
            "joiner", "namespace", "super", "caller", "loop", "varargs", "kwargs")
NO_MACROS = re.compile(r"^render_macros:\s*false\s*$", re.MULTILINE)


def template_problems(pages: dict[str, str]) -> list[Problem]:
    """Jinja syntax errors and calls of unknown macros, with the page's real line numbers (the
    whole file is parsed, front matter included, so line 1 is the file's first line)."""
    from jinja2 import Environment, TemplateSyntaxError, nodes

    env = Environment()
    problems: list[Problem] = []
    for page, text in pages.items():
        front = text.split("\n---", 1)[0] if text.startswith("---") else ""
        if NO_MACROS.search(front):
            continue
        try:
            tree = env.parse(text)
        except TemplateSyntaxError as error:
            problems.append(Problem(page, "template", f"{error.message}; check the {{{{ }}}} and {{% %}} on this "
                                    "line (write {% raw %}...{% endraw %} around text that shows braces)",
                                    error.lineno or 0))
            continue
        except RecursionError:
            problems.append(Problem(page, "template", "is nested too deeply to read"))
            continue
        defined = {n.name for n in tree.find_all(nodes.Macro)} | {
            n.name for n in tree.find_all(nodes.Name) if n.ctx in {"store", "param"}}
        for call in tree.find_all(nodes.Call):
            name = call.node.name if isinstance(call.node, nodes.Name) else None
            if name and name not in MACROS and name not in BUILTINS and name not in defined:
                problems.append(Problem(page, f"{name}(...)", f"unknown macro {name!r}; expected one of: "
                                        f"{', '.join(MACROS)} (check its spelling)", call.lineno))
    return problems


def read_pages(docs: Path, problems: list[Problem] | None = None) -> dict[str, str]:
    """Every Markdown page under `docs`, keyed by its path relative to the project. A page that
    is not UTF-8 is a problem (with `problems`) or an error."""
    pages: dict[str, str] = {}
    for path in sorted(docs.rglob("*.md")):
        shown = str(path.relative_to(docs.parent))
        if problems is None:
            pages[shown] = path.read_text(encoding="utf-8-sig")
        elif (text := _decode(path.read_bytes(), shown, problems)) is not None:
            pages[shown] = text
    return pages


def page_problems(course: Course, docs: Path) -> list[Problem]:
    """Every page's encoding, template syntax, macro calls and prompt placements."""
    problems: list[Problem] = []
    pages = read_pages(docs, problems)
    return problems + template_problems(pages) + check_placements(course, pages)


def load_and_check(root: Path, docs: Path) -> Course:
    """The whole check a build starts with: data, then every page's template syntax and macro calls."""
    course = load_course(root)
    problems = page_problems(course, docs)
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


_COURSES: dict[str, Course] = {}  # the last load of the data, by a hash of its files' bytes
_CHECKED: set[tuple[str, str]] = set()  # (data, pages) hashes whose pages passed the checks


def _signature(*folders: Path) -> str:
    """A hash of the names and bytes of every file in `folders`: a memo keyed by it can never
    answer for files that changed (a time stamp can stay the same across an edit)."""
    digest = hashlib.sha256()
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_and_check_once(root: Path, docs: Path) -> Course:
    """`load_and_check`, done once per state of the files' bytes: `make build` checks, then
    builds in one process, and loads the course once. A live-reload rebuild after an edit checks
    anew what the edit can change: a page edited, the pages only (the data is not read again);
    the data edited, both."""
    data_key = _signature(root)
    if data_key not in _COURSES:
        _COURSES.clear()
        _COURSES[data_key] = load_course(root)
    course = _COURSES[data_key]
    key = (data_key, _signature(docs))
    if key not in _CHECKED:
        problems = page_problems(course, docs)
        if problems:
            raise CourseDataError(problems)
        _CHECKED.clear()
        _CHECKED.add(key)
    return course
