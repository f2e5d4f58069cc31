"""Fillable worksheet PDFs: every answer place an AcroForm field, named from the data's ids.

A worksheet is laid out once (printing/pdf.py, `PdfMaker.pdfs`) and written twice: the blank
sheet for printing (`blank`), and the fillable one (`fillable`), whose fields a reader fills in
with their own PDF app. The fields are the web form's own controls (macros/templates/fields.html):
pdf.css lays each one out over the place the sheet prints for it (the writing lines, the
checklist's boxes, the scale's numbered boxes, a table's cells, the date and signature lines),
transparent and borderless, with `appearance: auto`, which makes WeasyPrint gather it as a form
field when it lays the page out. WeasyPrint 70 takes the fields from the layout (each page's
`forms`), whatever `write_pdf(pdf_forms=...)` says: so the blank sheet is written from a copy of
the pages that carries none, and draws exactly what the sheet drew before the fields existed.

WeasyPrint names a field after the control's `name` attribute and gives it a tooltip only inside
a <form>; `finisher` (a `write_pdf` finisher, run on the PDF's objects before they are written)
renames them and finishes the form:

- **Names** are the journal's storage keys (the controls' `data-rt-key`, made from the data's
  ids) without their `ws:<worksheet>:` prefix, so each is unique within its sheet and a renamed
  id in the data renames the field: `<field-id>` for a text, date or signature field and for a
  scale (one radio group, on-states `/1` to `/10`), `<field-id>:r<row>c<column>` for a table's
  cell, `<field-id>:<item>` for a checklist's item (counted from 0, as the data lists them).
- **Tooltips** (`/TU`, what a screen reader announces) are the visible label: the field's label;
  a cell's "Row: Column" (its aria-label); a checklist item's "Checklist label: item"; a scale
  option's "Scale label: n". On a sheet for two, "Partner A" and "Partner B" in them name the role
  as the sheet's "Who is who" line does ("Partner A—the partner who was hurt").
- A chosen scale number is drawn as a ring round its box, as a browser prints it (print.css).
- **The fields' font**: the controls ask for Roboto with a variation setting of its own
  (pdf.css), so WeasyPrint gives them a font of their own rather than making the page's text font
  a form font (which embeds it whole, and writes "ﬁ" for the text's "fi" into the text a screen
  reader reads). WeasyPrint embeds that font whole (Roboto: 300 KB); `TYPEABLE` cuts it down to what a
  reader may type, once per process: a fillable sheet is about 100 KB.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import sqrt
from typing import Any

import pydyf  # WeasyPrint's PDF objects; a small module of its own

from course.data import Course
from course.model import PARTNER_MENTION, ChecklistField, Worksheet

# A tag's attribute `data-rt-key` is `ws:<worksheet>:<field>[:<part>]` (fields.html).
KEY_PREFIX = "ws:"
RING_WIDTH = 2  # pt: print.css's ring round a chosen number (`border-width: 2pt`)


@dataclass(frozen=True)
class Place:
    """One answer control of a sheet as a PDF field: its name and its tooltip."""

    name: str
    tooltip: str


def with_roles(text: str, worksheet: Worksheet) -> str:
    """`text` with each "Partner A"/"Partner B" naming the role on a sheet for two."""
    partners = worksheet.partners
    if partners is None:
        return text
    return PARTNER_MENTION.sub(lambda found: partners.label(found.group(1)), text)


def place_of(course: Course, attributes: dict[str, str]) -> Place:
    """The field name and tooltip of the control with these HTML attributes."""
    key = attributes.get("data-rt-key") or ""
    worksheet_id, _, name = key.removeprefix(KEY_PREFIX).partition(":")
    if not key.startswith(KEY_PREFIX) or worksheet_id not in course.worksheets or not name:
        raise ValueError(f"a form control without a worksheet's storage key: {attributes}")
    worksheet = course.worksheets[worksheet_id]
    field_id, _, part = name.partition(":")
    field = next((f for f in worksheet.fields if f.id == field_id), None)
    if field is None:
        raise ValueError(f"{key}: no field {field_id!r} in data/worksheets/{worksheet_id}.yml")
    label = field.label
    if attributes.get("aria-label"):  # a table's cell: "Row: Column"
        label = attributes["aria-label"]
    elif part and isinstance(field, ChecklistField):  # an item
        label = f"{label}: {field.items[int(part)]}"
    elif part:
        raise ValueError(f"{key}: a part of a {type(field).__name__} without a label of its own")
    return Place(name, with_roles(label, worksheet))


def _form_boxes(document: Any) -> Iterator[Any]:
    """Every form control's box in the document, in page order."""
    for page in document.pages:
        for inputs in page.forms.values():
            for box, _rectangle in inputs:
                yield box


def blank(document: Any) -> Any:
    """The document without its form fields: the same layout, the same drawing."""
    for box in _form_boxes(document):
        box.widget_annotation = None  # from an earlier fillable write: never tag a field that is not there
    pages = []
    for page in document.pages:
        without = copy.copy(page)
        without.forms = {None: []}
        pages.append(without)
    return document.copy(pages)  # a Document of its own: fonts are subset per write


def fillable(document: Any) -> Any:
    """The document with its form fields, for `write_pdf(finisher=finisher(course))`."""
    return document.copy()


def finisher(course: Course, qualified: bool = False) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher (run on the PDF's objects before they are written) giving every
    field its name and tooltip and every scale its rings, and cutting the fields' font down to
    what a reader may type (see the module's docstring). `qualified`: for a PDF of several
    worksheets (the therapist's pack, printing/pack.py), each name after its worksheet's id,
    `<worksheet>:<name>`, so that no two fields share a name (and a value)."""
    def finish(document: Any, pdf: Any) -> None:
        def target(reference: bytes) -> Any:
            return pdf.objects[int(reference.split()[0])]

        groups: dict[int, Any] = {}
        for box in _form_boxes(document):
            field = box.widget_annotation
            attributes = dict(box.element.attrib)
            place = place_of(course, attributes)
            if qualified:
                place = Place(attributes["data-rt-key"].removeprefix(KEY_PREFIX), place.tooltip)
            if attributes.get("type") == "radio":
                value = attributes["value"]
                group = target(field["Parent"])
                if id(group) not in groups:
                    groups[id(group)] = group
                    group["T"] = pydyf.String(place.name)
                    group["TU"] = pydyf.String(place.tooltip)
                    group.pop("Opt", None)  # the on-states are the values themselves
                field.pop("T", None)  # a widget of the group, not a field of its own
                field["TU"] = pydyf.String(f"{place.tooltip}: {value}")
                (drawn,) = field["AP"]["N"].values()
                _ring(target(drawn), field, value, box.style["color"].coordinates)
            else:
                field["T"] = pydyf.String(place.name)
                field["TU"] = pydyf.String(place.tooltip)
            if attributes.get("type") in ("radio", "checkbox"):
                # The box is printed: no border of the app's own (WeasyPrint's /MK gives one), and
                # the ZapfDingbats mark (a disc, a tick) an app draws if it redraws the field.
                field["MK"] = pydyf.Dictionary({"CA": pydyf.String("l" if attributes["type"] == "radio" else "4")})
        for group in groups.values():
            group["V"] = "/Off"
        if "AcroForm" not in pdf.catalog:
            return
        # Every field is empty and every button has its appearances: nothing for a PDF app to
        # draw anew when it opens the file (WeasyPrint asks it to, which makes some redraw the
        # scales' rings as discs). An app draws a text field's appearance as the reader types.
        acroform = pdf.catalog["AcroForm"]
        acroform["NeedAppearances"] = "false"
        fonts = target(target(acroform["DR"])["Font"])
        for font in document.fonts.values():
            if font.used_in_forms:
                _typeable(font, target(fonts[font.hash]), target)

    return finish


# What a reader may type into a field, drawn with the fields' font (Roboto, as the page):
# Latin with its accents (Western, Central and Eastern European, Vietnamese, Turkish...), Greek,
# Cyrillic, punctuation, currency and letter-like signs. WeasyPrint embeds the whole font for a
# form's font (Roboto's regular face: 300 KB); these characters are a fraction of it. A character outside them
# is drawn by the reader's PDF app with a font of its own, if it has one.
TYPEABLE = ((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
            (0x20A0, 0x20CF), (0x2100, 0x218F))


@dataclass(frozen=True)
class _Subset:
    data: bytes  # the font file, its glyphs beyond TYPEABLE's emptied (glyph ids kept)
    widths: dict[int, int]  # glyph id -> advance in thousandths of an em
    text: dict[int, str]  # glyph id -> the character it draws


_SUBSETS: dict[tuple[str, tuple[int, ...]], _Subset] = {}


def _subset(data: bytes, drawn: dict[int, str]) -> _Subset:
    """`data` (a font file) cut down to TYPEABLE and the glyphs `drawn`: made once per font and
    process (fontTools takes half a second over the whole font), then reused by every PDF."""
    import hashlib
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    key = (hashlib.sha256(data).hexdigest(), tuple(sorted(drawn)))
    if key not in _SUBSETS:
        font = TTFont(io.BytesIO(data), recalcTimestamp=False)  # the same bytes every build
        options = subset.Options()
        options.retain_gids = True  # the glyph ids the page's text (if any) and the widths use
        options.notdef_outline = True
        options.hinting = False  # as WeasyPrint embeds the page's fonts
        options.layout_features = []  # a form field is drawn without ligatures or kerning
        options.drop_tables += ["FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(drawn), unicodes=[c for low, high in TYPEABLE for c in range(low, high + 1)])
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        upem = font["head"].unitsPerEm
        order = font.getGlyphOrder()
        text = {font.getGlyphID(name): chr(code) for code, name in sorted(font.getBestCmap().items(), reverse=True)}
        text.update(drawn)
        widths = {gid: round(font["hmtx"][order[gid]][0] * 1000 / upem) for gid in sorted(text)}
        _SUBSETS[key] = _Subset(out.getvalue(), widths, text)
    return _SUBSETS[key]


def _typeable(font: Any, dictionary: Any, target: Callable[[bytes], Any]) -> None:
    """The form fields' font `font` (its PDF font `dictionary`), which WeasyPrint embedded whole,
    cut down to what a reader may type (TYPEABLE), with its widths and text to match."""
    made = _subset(font.file_content, dict(font.to_unicode))
    (descendant,) = (target(reference) for reference in dictionary["DescendantFonts"])
    descriptor = target(descendant["FontDescriptor"])
    (file_key,) = (key for key in ("FontFile2", "FontFile3") if key in descriptor)
    stream = target(descriptor[file_key])
    stream.stream = [made.data]
    descriptor.pop("CIDSet", None)  # PDF 1.4 and older only: this one lists every glyph
    if "Length1" in stream.extra:
        stream.extra["Length1"] = len(made.data)
    widths = pydyf.Array()
    for gid in sorted(made.widths):
        if gid - 1 not in made.widths:
            widths.append(gid)
            run = pydyf.Array()
            widths.append(run)
        run.append(made.widths[gid])
    descendant["W"] = widths
    cmap = target(dictionary["ToUnicode"])
    head = cmap.stream[:cmap.stream.index(b"endcodespacerange") + 1]
    entries = sorted(made.text.items())
    body: list[bytes] = []
    for start in range(0, len(entries), 100):
        batch = entries[start:start + 100]
        body.append(f"{len(batch)} beginbfchar".encode())
        body += [f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for gid, text in batch]
        body.append(b"endbfchar")
    cmap.stream = [*head, *body, b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]


def _ring(stream: Any, widget: Any, value: str, colour: tuple[float, ...]) -> None:
    """Make the radio button `widget`'s on-state `/<value>`, drawn by `stream` (WeasyPrint's
    appearance for it, a filled disc that would hide the number) as a ring round its box."""
    left, top, right, bottom = (float(n) for n in widget["Rect"])
    width, height = abs(right - left), abs(top - bottom)
    stream.stream = []
    stream.set_color_rgb(*colour[:3], stroke=True)
    stream.set_line_width(RING_WIDTH)
    # An ellipse inside the box, half the line's width from its edges: four Bézier quarters.
    cx, cy = width / 2, height / 2
    rx, ry = max(cx - RING_WIDTH / 2, 0), max(cy - RING_WIDTH / 2, 0)
    kx, ky = rx * 4 / 3 * (sqrt(2) - 1), ry * 4 / 3 * (sqrt(2) - 1)
    stream.move_to(cx + rx, cy)
    stream.curve_to(cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry)
    stream.curve_to(cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy)
    stream.curve_to(cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry)
    stream.curve_to(cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy)
    stream.stroke()
    widget["AP"] = pydyf.Dictionary({"N": pydyf.Dictionary({value: stream.reference})})
    widget["AS"] = "/Off"
