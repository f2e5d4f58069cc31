"""Loading and validation of the course data, without MkDocs: every class of bad input is
reported with the file, the field and what was expected, and all problems come together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from course.data import CourseDataError, Problem, check_placements, load_and_check, load_course, schemas
from tests.helpers import PROMPTS, WORKSHEET, write

ROOT = Path(__file__).resolve().parent.parent


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(CourseDataError) as caught:
        load_course(root)
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def worksheet_with(**changes: object) -> dict:
    return {**json.loads(json.dumps(WORKSHEET)), **changes}


def test_valid_data_loads(data: Path) -> None:
    course = load_course(data)
    assert list(course.worksheets) == ["tracker"]
    assert course.worksheets["tracker"].sections[0].fields[0].row_names == ["Day 1", "Day 2"]
    assert course.prompts["consistency-small"].role == "both"


def test_unknown_field_is_named_with_the_known_ones(data: Path) -> None:
    sheet = worksheet_with()
    sheet["titel"] = sheet.pop("title")
    write(data / "worksheets" / "tracker.yml", sheet)
    messages = {str(p) for p in problems_of(data)}
    assert "data/worksheets/tracker.yml:42: titel: unknown field 'titel'; expected one of: title, chapter, summary, who, minutes, span, partners, formerly, instructions, sections (check its spelling and indentation)" in messages
    assert "data/worksheets/tracker.yml:1: title: required field is missing" in messages


def test_unknown_field_inside_a_field_lists_that_type_s_fields(data: Path) -> None:
    sheet = worksheet_with()
    sheet["sections"][0]["fields"][1]["rows"] = 3
    write(data / "worksheets" / "tracker.yml", sheet)
    assert str(only(problems_of(data))) == (
        "data/worksheets/tracker.yml:26: section 'The week', field 'noticed', rows: unknown field 'rows'; "
        "expected one of: id, label, hint, type, lines (check its spelling and indentation)"
    )


def test_missing_required_field(data: Path) -> None:
    sheet = worksheet_with()
    del sheet["summary"]
    write(data / "worksheets" / "tracker.yml", sheet)
    assert str(only(problems_of(data))) == "data/worksheets/tracker.yml:1: summary: required field is missing"


def test_wrong_type(data: Path) -> None:
    write(data / "worksheets" / "tracker.yml", worksheet_with(minutes="ten"))
    assert str(only(problems_of(data))) == "data/worksheets/tracker.yml:5: minutes: got 'ten'; expected a whole number"


def test_wrong_value_from_a_closed_set(data: Path) -> None:
    write(data / "worksheets" / "tracker.yml", worksheet_with(who="couple"))
    assert str(only(problems_of(data))) == (
        "data/worksheets/tracker.yml:4: who: got 'couple'; expected one of: 'alone', 'together' or 'either'"
    )


def test_unknown_field_type_lists_the_known_types(data: Path) -> None:
    sheet = worksheet_with()
    sheet["sections"][0]["fields"][1]["type"] = "textarea"
    write(data / "worksheets" / "tracker.yml", sheet)
    assert str(only(problems_of(data))) == (
        "data/worksheets/tracker.yml:22: section 'The week', field 'noticed': unknown field type 'textarea'; "
        "expected one of: text, checklist, scale, table, date, signature"
    )


def test_number_out_of_range(data: Path) -> None:
    sheet = worksheet_with()
    sheet["sections"][0]["fields"][1]["lines"] = 99
    write(data / "worksheets" / "tracker.yml", sheet)
    assert str(only(problems_of(data))) == (
        "data/worksheets/tracker.yml:25: section 'The week', field 'noticed', lines: got 99; expected a number at most 30"
    )


def test_table_needs_rows_or_row_labels(data: Path) -> None:
    sheet = worksheet_with()
    del sheet["sections"][0]["fields"][0]["row_labels"]
    write(data / "worksheets" / "tracker.yml", sheet)
    assert str(only(problems_of(data))) == (
        "data/worksheets/tracker.yml:13: section 'The week', field 'tracker': "
        "expected exactly one of `rows` (a number) or `row_labels` (a list)"
    )


def test_duplicate_prompt_id(data: Path) -> None:
    write(data / "prompts.yml", PROMPTS + [dict(PROMPTS[0])])
    messages = [str(p) for p in problems_of(data)]
    assert messages == [
        "data/prompts.yml:1: prompt 'consistency-small', id: duplicate id 'consistency-small'; give each entry an id of its own",
        "data/prompts.yml:5: prompt 'consistency-small', id: duplicate id 'consistency-small'; give each entry an id of its own",
    ]


def test_duplicate_field_id_within_a_worksheet(data: Path) -> None:
    sheet = worksheet_with()
    sheet["sections"][0]["fields"][2]["id"] = "noticed"
    write(data / "worksheets" / "tracker.yml", sheet)
    assert "data/worksheets/tracker.yml:23: section 'The week', field 'noticed', id: duplicate field id 'noticed'; give each field of the worksheet an id of its own" in {
        str(p) for p in problems_of(data)
    }


def test_chapter_that_does_not_exist(data: Path) -> None:
    write(data / "worksheets" / "tracker.yml", worksheet_with(chapter="trust"))
    write(data / "prompts.yml", [{**PROMPTS[0], "chapter": "hope"}])
    expected = "expected one of: betrayal, consistency, empathy, forgiveness, intimacy, practices"
    assert [str(p) for p in problems_of(data)] == [
        f"data/prompts.yml:1: prompt 'consistency-small', chapter: unknown chapter 'hope'; {expected}",
        f"data/worksheets/tracker.yml:2: chapter: unknown chapter 'trust'; {expected}",
    ]


def test_bad_id_in_a_file_name(data: Path) -> None:
    (data / "worksheets" / "tracker.yml").rename(data / "worksheets" / "Weekly Tracker.yml")
    assert str(only(problems_of(data))) == (
        "data/worksheets/Weekly Tracker.yml: id: got 'Weekly Tracker'; "
        "expected lowercase letters, digits and hyphens, like 'weekly-check-in'; rename the file"
    )


def test_invalid_yaml_names_the_line(data: Path) -> None:
    (data / "worksheets" / "tracker.yml").write_text("title: [unclosed\nchapter: x\n", encoding="utf-8")
    problem = only(problems_of(data))
    assert problem.file == "data/worksheets/tracker.yml" and problem.field == "(file)" and problem.line == 2
    assert problem.message.startswith("is not valid YAML")


def test_every_problem_is_reported_together(data: Path) -> None:
    write(data / "worksheets" / "tracker.yml", worksheet_with(who="couple", minutes=0))
    write(data / "worksheets" / "other.yml", worksheet_with(chapter="nowhere"))
    write(data / "prompts.yml", [{**PROMPTS[0], "role": "victim"}])
    files = {(p.file, p.field) for p in problems_of(data)}
    assert files == {
        ("data/worksheets/tracker.yml", "who"),
        ("data/worksheets/tracker.yml", "minutes"),
        ("data/worksheets/other.yml", "chapter"),
        ("data/prompts.yml", "prompt 'consistency-small', role"),
    }


def test_id_used_in_a_page_but_not_defined(data: Path) -> None:
    course = load_course(data)
    pages = {
        "docs/consistency.md": 'Text\n\n{{ reflection("consistency-small") }}\n\n{{ reflection("consistency-big") }}\n',
        "docs/x.md": '{{ worksheet("nope") }}\n{{ chapter_worksheets("hope") }}\n',
    }
    assert [str(p) for p in check_placements(course, pages)] == [
        "docs/consistency.md:5: reflection('consistency-big'): no prompt with id 'consistency-big'; use an id defined in data/prompts.yml, or add the prompt there",
        "docs/x.md:1: worksheet('nope'): no worksheet with id 'nope'; expected a file data/worksheets/nope.yml",
        "docs/x.md:2: chapter_worksheets('hope'): unknown chapter 'hope'; expected one of: betrayal, consistency, empathy, forgiveness, intimacy, practices",
    ]


def test_prompt_defined_but_placed_nowhere(data: Path) -> None:
    problems = check_placements(load_course(data), {"docs/consistency.md": "No prompts here.\n"})
    assert [str(p) for p in problems] == [
        "data/prompts.yml:1: prompt 'consistency-small': prompt is placed nowhere; "
        'add a line {{ reflection("consistency-small") }} in docs/consistency.md'
    ]


def test_prompt_placed_in_another_chapter(data: Path) -> None:
    problems = check_placements(load_course(data), {"docs/empathy.md": '{{ reflection("consistency-small") }}'})
    assert "is placed in docs/empathy.md; move it: expected" in str(only(problems))


def test_load_and_check_fails_on_placement_problems(data: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "consistency.md").write_text('{{ reflection("missing-one") }}\n', encoding="utf-8")
    with pytest.raises(CourseDataError) as caught:
        load_and_check(data, docs)
    assert len(caught.value.problems) == 2  # the unknown id, and the prompt placed nowhere
    assert "2 problem(s) in the course data" in str(caught.value)


def test_the_real_course_data_is_valid() -> None:
    course = load_and_check(ROOT / "data", ROOT / "docs")
    assert len(course.worksheets) >= 12


@pytest.mark.parametrize("name", ["worksheet.schema.json", "prompts.schema.json"])
def test_shipped_json_schemas_match_the_records(name: str) -> None:
    """The schemas editors' plugins read are generated from the records; regenerate with
    `python -m sitebuild.check --write-schemas` when the format changes."""
    shipped = json.loads((ROOT / "data" / "schema" / name).read_text(encoding="utf-8"))
    assert shipped == schemas()[name]


def test_the_worksheet_schema_checks_real_files() -> None:
    import jsonschema

    schema = schemas()["worksheet.schema.json"]
    for path in sorted((ROOT / "data" / "worksheets").glob("*.yml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**WORKSHEET, "titel": "x"}, schema)
