"""Check the course data without building the site: `python -m macros.check`.

`--write-schemas` regenerates data/schema/*.json from the records for editors' YAML plugins.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .data import CourseDataError, load_and_check, schemas

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    if "--write-schemas" in argv:
        folder = ROOT / "data" / "schema"
        folder.mkdir(exist_ok=True)
        for name, schema in schemas().items():
            (folder / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
            print(f"wrote data/schema/{name}")
    try:
        course = load_and_check(ROOT / "data", ROOT / "docs")
    except CourseDataError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"ok: {len(course.chapters)} chapters, {len(course.prompts)} prompts, {len(course.worksheets)} worksheets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
