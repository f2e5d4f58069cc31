"""Shared by the print tests: the course, reading PDF text, the site chrome that must not print."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from pypdf import PdfReader

from course.data import load_course
from course.model import PARTNER_ROLE_LABELS, Worksheet
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")
WORKSHEETS = [w for c in COURSE.chapters for w in COURSE.worksheets_of(c.id)]
SIZES = {"a4": (595, 842), "letter": (612, 792)}  # points, portrait
# Words that only site chrome prints: nav entries, the search box, the footer's page links,
# the worksheet page's buttons. None of them may appear on paper.
CHROME = ["Introduction", "Search", "Previous", "Next", "Skip to content", "Back to top",
          "Download PDF", "Print this worksheet", "Fill in on a computer or tablet", "Nothing is sent anywhere",
          "Switch to dark mode",
          "Switch to light mode"]


def normal(text: str) -> str:
    """Text compared the way a reader sees it: ligatures split, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pdf_reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(reader: PdfReader) -> str:
    return normal(" ".join(page.extract_text() or "" for page in reader.pages))


def printed_words(worksheet: Worksheet) -> list[str]:
    """Everything of a worksheet's data that must be on paper: title, sections, labels, items."""
    words = [worksheet.title, *(s.title for s in worksheet.sections)]
    for field in worksheet.fields:
        words.append(field.label)
        words += getattr(field, "items", None) or []
        words += getattr(field, "columns", None) or []
        words += getattr(field, "row_labels", None) or []
    return [normal(w) for w in words]


def missing_words(worksheet: Worksheet, text: str) -> list[str]:
    """Words of the data not on paper. Spaces are ignored: a narrow table heading may wrap
    after a dash ("(1–" / "10)"), which text extraction turns into a space."""
    flat = "".join(text.split())
    return [w for w in printed_words(worksheet) if "".join(w.split()) not in flat]


def chrome_in(worksheet: Worksheet, text: str) -> list[str]:
    """Chrome words on paper; a word the worksheet itself uses is not counted."""
    own = normal(worksheet.model_dump_json())
    return [w for w in CHROME if re.search(rf"\b{re.escape(w)}\b", text) and w not in own]


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """Every font the PDF uses -> whether its program is embedded."""
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for child in font.get("/DescendantFonts") or []:
                descriptors.append(child.get_object().get("/FontDescriptor"))
            embedded = any(
                d is not None and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            fonts[str(font.get("/BaseFont"))] = embedded
    return fonts


# --- the fillable PDFs' fields, worked out from the data (test_fillable_pdfs.py, test_pack.py) --

@dataclass(frozen=True)
class Expected:
    kind: str  # "multiline" (a text prompt), "line" (a cell, a date, a signature), "checkbox", "scale"
    tooltip: str


def roles(text: str, worksheet: Worksheet) -> str:
    """"Partner A" naming its role on a sheet for two, as the sheet's "Who is who" line does."""
    if worksheet.partners is None:
        return text
    return re.sub(r"\bPartner ([AB])\b", lambda m: f"Partner {m[1]}—"
                  f"{PARTNER_ROLE_LABELS[getattr(worksheet.partners, m[1].lower())]}", text)


def expected_fields(worksheet: Worksheet) -> dict[str, Expected]:
    """The fields the data defines: name -> what the field is and its tooltip."""
    fields: dict[str, Expected] = {}
    for field in worksheet.fields:
        label = roles(field.label, worksheet)
        if field.type == "text":
            fields[field.id] = Expected("multiline", label)
        elif field.type in ("date", "signature"):
            fields[field.id] = Expected("line", label)
        elif field.type == "scale":
            fields[field.id] = Expected("scale", label)
        elif field.type == "checklist":
            for i, item in enumerate(field.items):  # type: ignore[attr-defined]
                fields[f"{field.id}:{i}"] = Expected("checkbox", roles(f"{field.label}: {item}", worksheet))
        elif field.type == "table":
            for r, row in enumerate(field.row_names):  # type: ignore[attr-defined]
                for c, column in enumerate(field.columns):  # type: ignore[attr-defined]
                    fields[f"{field.id}:r{r}c{c}"] = Expected("line", roles(f"{row or f'Row {r + 1}'}: {column}", worksheet))
        else:
            raise AssertionError(f"a field type this test does not know: {field.type}")
    return fields
