"""What the site says about itself, computed from the content at build time, never typed:
how many chapters, worksheets and prompts, and how long the reading takes. The landing page
(docs/index.md) and the course's structured data (overrides/main.html) read these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .data import Course

WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]

WORDS_PER_MINUTE = 220
MACRO_OR_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>")


def reading_minutes(markdown: str) -> int:
    """Reading time of a page's prose, ignoring macro calls, tags and front matter."""
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    return max(1, round(len(MACRO_OR_TAG.sub(" ", body).split()) / WORDS_PER_MINUTE))



TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(number: int) -> str:
    """A count as a reader would write it in prose: words below a hundred, digits beyond."""
    if 0 <= number < len(WORDS):
        return WORDS[number]
    if 0 < number < 100:
        tens, ones = divmod(number, 10)
        return TENS[tens] + (f"-{WORDS[ones]}" if ones else "")
    return str(number)


@dataclass(frozen=True)
class Facts:
    chapters: int
    worksheets: int
    prompts: int
    minutes: dict[str, int]  # reading time of each chapter, by id

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def shortest(self) -> int:
        return min(self.minutes.values())

    @property
    def longest(self) -> int:
        return max(self.minutes.values())

    @property
    def workload(self) -> str:
        """The reading time as an ISO 8601 duration, for schema.org's courseWorkload."""
        return f"PT{self.total_minutes}M"

    def words(self, number: int) -> str:
        return in_words(number)


def chapter_minutes(course: Course, docs: Path) -> dict[str, int]:
    return {c.id: reading_minutes((docs / f"{c.id}.md").read_text(encoding="utf-8")) for c in course.chapters}


def course_facts(course: Course, docs: Path) -> Facts:
    return Facts(len(course.chapters), len(course.worksheets), len(course.prompts), chapter_minutes(course, docs))
