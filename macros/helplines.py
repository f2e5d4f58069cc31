"""Helplines (data/helplines.yml): the record, the checks across entries, and what the safety
note needs. Shown in full on the Safety page and, one country at a time, in the short safety
note on the landing page, every chapter, every worksheet and every PDF."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .model import Id, Record, Text

Url = Annotated[str, Field(pattern=r"^https://[^\s]+$")]
Phone = Annotated[str, Field(pattern=r"^[0-9][0-9 -]*[0-9]$")]


class Helpline(Record):
    id: Id
    country: Text
    country_code: Annotated[str, Field(pattern=r"^([a-z]{2}|other)$")]
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
    default: bool = False

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

    @model_validator(mode="after")
    def _reachable(self) -> Helpline:
        if not self.phone and not self.chat:
            raise ValueError("expected a way to reach the service: a phone number (phone) or a web address (chat)")
        return self

    @property
    def tel(self) -> str | None:
        """A tel: link for the phone number, as dialled in its own country."""
        return "tel:" + re.sub(r"[^0-9]", "", self.phone) if self.phone else None


def cross_problems(helplines: list[Helpline]) -> list[tuple[str, str]]:
    """(field, message) for problems across entries: exactly one default, a domestic-abuse
    line with a phone number, and one emergency number per country."""
    problems: list[tuple[str, str]] = []
    if not helplines:
        return problems
    defaults = [i for i, h in enumerate(helplines) if h.default]
    if len(defaults) != 1:
        where = ", ".join(f"[{i}]" for i in defaults) or "(none)"
        problems.append(("default", f"{len(defaults)} entries have default: true ({where}); expected exactly one, "
                                    "the line the safety note shows until a reader chooses a country"))
    else:
        line = helplines[defaults[0]]
        if line.kind != "abuse" or not line.phone:
            problems.append((f"[{defaults[0]}].default", "expected the default entry to be a domestic-abuse line (kind: abuse) with a phone number"))
    emergency: dict[str, str] = {}
    for index, line in enumerate(helplines):
        first = emergency.setdefault(line.country_code, line.emergency)
        if first != line.emergency:
            problems.append((f"[{index}].emergency", f"got {line.emergency!r}; expected {first!r}, as the other entries for {line.country} say"))
    return problems


def countries(helplines: list[Helpline]) -> list[dict[str, Any]]:
    """One entry per country, in file order: its code, name, emergency number and the line the
    safety note shows for it (its first domestic-abuse line, else its first entry)."""
    seen: dict[str, dict[str, Any]] = {}
    for line in helplines:
        entry = seen.setdefault(line.country_code, {"code": line.country_code, "name": line.country,
                                                    "emergency": line.emergency, "lines": []})
        entry["lines"].append(line)
    for entry in seen.values():
        entry["note_line"] = next((h for h in entry["lines"] if h.kind in {"abuse", "directory"}), entry["lines"][0])
        entry["default"] = any(h.default for h in entry["lines"])
        # As the name reads after "in": "in the United Kingdom", "in Ireland".
        entry["place"] = ("the " if entry["name"].startswith("United ") else "") + entry["name"]
    return list(seen.values())


def note_countries(helplines: list[Helpline]) -> list[dict[str, Any]]:
    """`countries`, the default country first: the order the safety note lists them in."""
    return sorted(countries(helplines), key=lambda entry: not entry["default"])
