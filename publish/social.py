"""Link-preview images (1200x630 PNG) drawn at build time with Pillow: no network, no
downloaded fonts (Material's social plugin downloads fonts, so it cannot run here).

Drawing and compressing a card takes a few hundredths of a second, every build; each one is kept
in `.cache/social/` (or `$RT_SOCIAL_CACHE`) under a hash of what it is drawn from (its words,
this module's code, Pillow's version and the font files), so an unchanged card is copied."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import PIL  # its version only; Image and the rest when a card is drawn (not cached): 9 ms

from publish import cachefiles, stamp

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 630)
BACKGROUND = (79, 31, 49)
FOREGROUND = (255, 255, 255)
ACCENT = (240, 179, 198)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow's own scalable font


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Greedy word wrap by measured pixel width."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def card(title: str, kicker: str, site_name: str) -> Image.Image:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, SIZE[1]), fill=ACCENT)
    draw.text((90, 80), kicker.upper(), font=_font(True, 30), fill=ACCENT)
    font, y = _font(True, 68), 150
    for line in _wrap(draw, title, font, SIZE[0] - 180)[:4]:
        draw.text((90, y), line, font=font, fill=FOREGROUND)
        y += 86
    draw.text((90, SIZE[1] - 110), site_name, font=_font(False, 34), fill=FOREGROUND)
    return image


CACHE = Path(__file__).resolve().parent.parent / ".cache" / "social"
KEEP = 200  # cached cards kept (the most recently used): a few dozen builds' worth


def _inputs() -> bytes:
    """What every card's look depends on besides its words."""
    fonts = [p for folder in FONT_DIRS if folder.is_dir() for p in sorted(folder.glob("DejaVuSans*.ttf"))]
    return stamp.stamp(stamp.of_files(Path(__file__), *fonts), PIL.__version__).encode()


def card_key(title: str, kicker: str, site_name: str, inputs: bytes) -> str:
    return hashlib.sha256(b"\0".join([inputs, title.encode(), kicker.encode(), site_name.encode()])).hexdigest()


def write_cards(folder: Path, cards: dict[str, tuple[str, str]], site_name: str,
                cache: Path | None = None) -> list[Path]:
    """`cards` maps a slug to (title, kicker); writes folder/<slug>.png for each, from the cache
    (`cache`, default `.cache/social/`) when it holds that card."""
    cache = cache or Path(os.environ.get("RT_SOCIAL_CACHE") or CACHE)
    folder.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    inputs = _inputs()
    written = []
    for slug, (title, kicker) in cards.items():
        path = folder / f"{slug}.png"
        entry = cache / f"{card_key(title, kicker, site_name, inputs)}.png"
        if entry.is_file():
            entry.touch()  # recently used: kept
            cachefiles.place(entry, path)
        else:
            card(title, kicker, site_name).save(path, optimize=True)
            partial = entry.with_name(f".{entry.name}.{os.getpid()}")
            partial.write_bytes(path.read_bytes())
            os.replace(partial, entry)  # whole or not at all: builds may share the cache
        written.append(path)
    cachefiles.prune(cache, KEEP, 14, ".png")
    return written
