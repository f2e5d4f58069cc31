"""Link-preview images (1200x630 PNG) drawn at build time with Pillow: no network, no
downloaded fonts (Material's social plugin downloads fonts, so it cannot run here)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 630)
BACKGROUND = (79, 31, 49)
FOREGROUND = (255, 255, 255)
ACCENT = (240, 179, 198)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow's own scalable font


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Greedy word wrap by measured pixel width."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def card(title: str, kicker: str, site_name: str) -> Image.Image:
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


def write_cards(folder: Path, cards: dict[str, tuple[str, str]], site_name: str) -> list[Path]:
    """`cards` maps a slug to (title, kicker); writes folder/<slug>.png for each."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for slug, (title, kicker) in cards.items():
        path = folder / f"{slug}.png"
        card(title, kicker, site_name).save(path, optimize=True)
        written.append(path)
    return written
