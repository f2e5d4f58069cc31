"""Helplines (data/helplines.yml): the record, the checks across entries, and what the safety
note needs. Shown in full on the Safety page and, as each country's crisis and abuse lines, in
the short safety note on the landing page, every chapter, every worksheet, every printed page and
every PDF."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .model import Id, Record, Text

Url = Annotated[str, Field(pattern=r"^https://[^\s]+$")]
Phone = Annotated[str, Field(pattern=r"^[0-9][0-9 -]*[0-9]$")]
# How to text a line, as the data writes it: "Text 988", "Text 0477 13 11 14", "Text START to 88788".
TEXT = re.compile(r"^Text (?:(?P<word>[A-Z][A-Z0-9]*) to )?(?P<number>[0-9][0-9 ]*[0-9]|[0-9])$")


class Helpline(Record):
    id: Id
    country: Text
    country_code: Annotated[str, Field(pattern=r"^([a-z]{2}|other)$")]
    region: str | None = None  # a part of the country the line serves: "Scotland"
    emergency: Text
    emergency_note: str | None = None
    service: Text
    kind: Literal["abuse", "crisis", "directory"]
    phone: Phone | None = None
    phone_words: str | None = None
    tty: Phone | None = None
    text: str | None = None
    chat: Url | None = None
    chat_label: str | None = None
    hours: str | None = None
    source: Url
    checked: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]

    @field_validator("checked", mode="before")
    @classmethod
    def _checked_in_quotes(cls, value: Any) -> Any:
        if isinstance(value, datetime.date):
            raise ValueError(f'got the date {value.isoformat()} unquoted; expected it in quotes, like "{value.isoformat()}"')
        return value

    @field_validator("phone", "tty", mode="before")
    @classmethod
    def _phone_in_quotes(cls, value: Any) -> Any:
        if isinstance(value, int):
            raise ValueError(f'got the number {value} unquoted; expected it in quotes, like "{value}"')
        return value

    @field_validator("text")
    @classmethod
    def _text_says_how(cls, value: str | None) -> str | None:
        if value is not None and not TEXT.match(value):
            raise ValueError(f'got {value!r}; expected "Text" and the number, like "Text 0477 13 11 14", '
                             'or the word to send first, like "Text START to 88788"')
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Helpline:
        if not self.phone and not self.chat:
            raise ValueError("expected a way to reach the service: a phone number (phone) or a web address (chat)")
        return self

    @property
    def tel(self) -> str | None:
        """A tel: link for the phone number, as dialled in its own country."""
        return "tel:" + re.sub(r"[^0-9]", "", self.phone) if self.phone else None

    @property
    def sms(self) -> str | None:
        """An sms: link for `text`: "Text 0477 13 11 14" → sms:0477131114; "Text START to 88788"
        → sms:88788?&body=START (the message filled in, on iOS and Android alike)."""
        found = TEXT.match(self.text) if self.text else None
        if not found:
            return None
        number = "sms:" + found["number"].replace(" ", "")
        return number + "?&body=" + found["word"] if found["word"] else number

    @property
    def source_site(self) -> str:
        """The site `source` is on, as readers know it: "samaritans.org"."""
        host = self.source.split("/")[2]
        return host[4:] if host.startswith("www.") else host


NOTE_KINDS = {"crisis": "crisis", "abuse": "abuse", "directory": "abuse"}
"""What a line is in the safety note: a crisis line, or help with abuse (a directory stands in
for an abuse line where a country has no national one: Canada's ShelterSafe)."""


def cross_problems(helplines: list[Helpline]) -> list[tuple[str, str]]:
    """(field, message) for problems across entries: every listed country has a suicide and
    crisis line and a line for abuse, and one emergency number."""
    problems: list[tuple[str, str]] = []
    emergency: dict[str, str] = {}
    for index, line in enumerate(helplines):
        first = emergency.setdefault(line.country_code, line.emergency)
        if first != line.emergency:
            problems.append((f"[{index}].emergency", f"got {line.emergency!r}; expected {first!r}, as the other entries for {line.country} say"))
    for entry in countries(helplines):
        if entry["code"] == "other":
            continue
        kinds = {NOTE_KINDS[line.kind] for line in entry["lines"]}
        if "crisis" not in kinds:
            problems.append(("kind", f"{entry['name']} has no suicide and crisis line; expected an entry for it with kind: crisis"))
        if "abuse" not in kinds:
            problems.append(("kind", f"{entry['name']} has no line for abuse; expected an entry for it with kind: abuse "
                                     "(or kind: directory where the country has no national line)"))
    return problems


def countries(helplines: list[Helpline]) -> list[dict[str, Any]]:
    """One entry per country, in file order: its code, name, emergency number (and any note on
    it), every line, and the lines the safety note shows for it: its crisis line and its abuse
    lines (one per region, and the country-wide ones before any for a particular group)."""
    seen: dict[str, dict[str, Any]] = {}
    for line in helplines:
        entry = seen.setdefault(line.country_code, {"code": line.country_code, "name": line.country,
                                                    "emergency": line.emergency, "lines": []})
        entry["lines"].append(line)
    for entry in seen.values():
        lines = entry["lines"]
        entry["crisis"] = next((h for h in lines if h.kind == "crisis"), None)
        regional = [h for h in lines if h.kind != "crisis" and h.region]
        entry["abuse"] = regional or [next(h for h in lines if h.kind != "crisis")] if any(h.kind != "crisis" for h in lines) else []
        # The numbers to dial, each a tel: link ("112 or 999"; none in "your local emergency number").
        entry["emergency_numbers"] = re.findall(r"[0-9]+", entry["emergency"])
        entry["emergency_notes"] = list(dict.fromkeys(h.emergency_note for h in lines if h.emergency_note))
        # As the name reads after "in": "in the United Kingdom", "in Ireland".
        entry["place"] = ("the " if entry["name"].startswith("United ") else "") + entry["name"]
    return list(seen.values())
