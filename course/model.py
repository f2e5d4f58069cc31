"""Typed records of the course's data: chapters, reflection prompts and worksheets.

The models are the single source of the data format: validation, the JSON Schemas shipped
for editors (data/schema/) and the renderers all read them. Unknown fields are errors, so a
typo such as `titel` is reported instead of silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .typography import curly_quotes

Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=1, max_length=80)]
# Text a reader sees. Its straight quotes become typographic as it is loaded, so the pages, the
# journal's outline, the PDFs and the generated pages' titles all show the same words; ids and
# other machine values are never touched (typography.py says why not in the templates).
Prose = Annotated[str, AfterValidator(curly_quotes)]
Text = Annotated[Prose, Field(min_length=1)]
Role = Literal["hurt", "broke-trust", "both"]
Who = Literal["alone", "together", "either"]

ROLE_LABELS: dict[str, str] = {
    "hurt": "For the partner who was hurt",
    "broke-trust": "For the partner who broke trust",
    "both": "For both of you",
}
WHO_LABELS: dict[str, str] = {
    "alone": "On your own",
    "together": "Together",
    "either": "Alone or together",
}


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Chapter(Record):
    id: Id
    title: Text
    summary: Text


class Prompt(Record):
    id: Id
    chapter: Id
    role: Role
    question: Text
    hint: Prose | None = None


class BaseField(Record):
    id: Id
    label: Text
    hint: Prose | None = None


class TextField(BaseField):
    """A free-text answer, printed as `lines` writing lines."""

    type: Literal["text"]
    lines: Annotated[int, Field(ge=1, le=30)] = 3


class ChecklistField(BaseField):
    type: Literal["checklist"]
    items: Annotated[list[Text], Field(min_length=1)]


class ScaleField(BaseField):
    """A rating from 1 to 10, rendered as a radio group."""

    type: Literal["scale"]
    low: Prose | None = None
    high: Prose | None = None


class TableField(BaseField):
    """A grid of small answer cells: blank `rows`, or one row per `row_labels` entry."""

    type: Literal["table"]
    columns: Annotated[list[Text], Field(min_length=1, max_length=8)]
    rows: Annotated[int, Field(ge=1, le=31)] | None = None
    row_labels: Annotated[list[Text], Field(min_length=1, max_length=31)] | None = None

    @model_validator(mode="after")
    def one_row_source(self) -> TableField:
        if (self.rows is None) == (self.row_labels is None):
            raise ValueError("expected exactly one of `rows` (a number) or `row_labels` (a list)")
        return self

    @property
    def row_names(self) -> list[str]:
        return self.row_labels or [""] * (self.rows or 0)


class DateField(BaseField):
    type: Literal["date"]


class SignatureField(BaseField):
    type: Literal["signature"]


WorksheetField = Annotated[
    TextField | ChecklistField | ScaleField | TableField | DateField | SignatureField,
    Field(discriminator="type"),
]
FIELD_MODELS: dict[str, type[BaseField]] = {
    "text": TextField,
    "checklist": ChecklistField,
    "scale": ScaleField,
    "table": TableField,
    "date": DateField,
    "signature": SignatureField,
}
FIELD_TYPES = tuple(FIELD_MODELS)


class Section(Record):
    title: Text
    intro: Prose | None = None
    fields: Annotated[list[WorksheetField], Field(min_length=1)]


PARTNER_ROLE_LABELS: dict[str, str] = {
    "hurt": "the partner who was hurt",
    "broke-trust": "the partner who broke trust",
}
# How a label names a part of a sheet for two: "Partner A: …", "Partner B's turn".
PARTNER_MENTION = re.compile(r"\bPartner ([AB])\b")


class Partners(Record):
    """Which role writes the parts labelled Partner A and Partner B, so a therapist reading two
    filled sheets can tell whose answer is whose."""

    a: Literal["hurt", "broke-trust"]
    b: Literal["hurt", "broke-trust"]

    @model_validator(mode="after")
    def _different(self) -> Partners:
        if self.a == self.b:
            raise ValueError(f"got `{self.a}` for both a and b; expected one partner who was hurt and one who broke trust")
        return self

    def label(self, letter: str) -> str:
        """"Partner A—the partner who was hurt" (the house style: an unspaced em dash)."""
        return f"Partner {letter.upper()}—{PARTNER_ROLE_LABELS[getattr(self, letter.lower())]}"


class Worksheet(Record):
    id: Id = Field(description="Set from the file name; do not write it in the file.")
    title: Text
    chapter: Id
    summary: Text
    who: Who
    minutes: Annotated[int, Field(ge=1, le=240)] = Field(description="About how long one sitting takes, in minutes.")
    span: Prose | None = Field(default=None, description='For a sheet filled in over several sittings: when, e.g. "each evening for a week".')
    partners: Partners | None = Field(default=None, description="For a sheet for two: which role is Partner A and which Partner B.")
    formerly: list[Id] = Field(default_factory=list, description="Ids this worksheet had before it was renamed: "
                               "its old address redirects here and answers saved under them move to it.")
    instructions: Text
    sections: Annotated[list[Section], Field(min_length=1)]

    @model_validator(mode="after")
    def _partners_named(self) -> Worksheet:
        if self.partners is None:
            texts = [section.title for section in self.sections] + [field.label for field in self.fields]
            if any(PARTNER_MENTION.search(text) for text in texts):
                raise ValueError("labels name Partner A or Partner B; expected `partners:` to say which role each is, "
                                 "e.g. partners: {a: hurt, b: broke-trust}")
        return self

    @property
    def time_label(self) -> str:
        """"about 45 minutes", or for a sheet of several sittings "about 5 minutes, each evening for a week"."""
        return f"about {self.minutes} minutes" + (f", {self.span}" if self.span else "")

    @property
    def partner_labels(self) -> list[str]:
        return [self.partners.label("a"), self.partners.label("b")] if self.partners else []

    @property
    def paragraphs(self) -> list[str]:
        return split_paragraphs(self.instructions)

    @property
    def fields(self) -> list[BaseField]:
        return [field for section in self.sections for field in section.fields]


def split_paragraphs(text: str) -> list[str]:
    """Plain text with blank lines between paragraphs, as editors write it in YAML."""
    blocks = [" ".join(block.split()) for block in text.split("\n\n")]
    return [block for block in blocks if block]
