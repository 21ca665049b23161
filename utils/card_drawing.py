"""The link-preview card drawn with Pillow: a photo or colours, an overlay, names and a date.

No business rules here: what the card shows comes from services/preview_cards.py. The card is
1200x630 (what WhatsApp and Facebook show large), a progressive JPEG without metadata, kept
under MAX_BYTES by stepping the quality down. Text is white on a dark gradient under and just
above it, with a soft shadow, so it reads on any photo and at thumbnail size.
"""

import io
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter, ImageFont, ImageOps

from utils.file_processing import IMAGE_FORMATS, MAX_PIXELS

CARD_SIZE = (1200, 630)
MAX_BYTES = 300_000
QUALITIES = (86, 80, 74, 68, 60, 52, 44)
FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
NAMES_FONT = FONT_DIR / "DejaVuSerif-Bold.ttf"
DATE_FONT = FONT_DIR / "DejaVuSans.ttf"

MARGIN = 70
NAMES_SIZES = range(104, 47, -4)  # largest first; at 48 px names still read at 300 px wide
NAMES_MAX_LINES = 2
DATE_SIZE = 48
LINE_GAP = 8
DATE_GAP = 14
BOTTOM = 56  # space under the date
# The gradient covers the text and FADE px above it: the photo above is shown as it is.
# TEXT_ALPHA keeps white text at least 7:1 against a white photo (WCAG AAA).
FADE = 170
TEXT_ALPHA = 175
BOTTOM_ALPHA = 230
WHITE = (255, 255, 255)
ELLIPSIS = "…"


class CardTooLargeError(ValueError):
    """Even at the lowest quality the JPEG is over MAX_BYTES."""


def draw_card(*, names: str, date_text: str, photo: bytes | None, colors: tuple[str, str]) -> bytes:
    """The card as JPEG bytes: `photo` (stored image bytes) cropped to fill, else a gradient
    from colors[0] to colors[1]; names large, the date under them."""
    if photo is not None:
        background = ImageOps.fit(open_photo(photo, CARD_SIZE), CARD_SIZE, Image.Resampling.LANCZOS)
    else:
        background = _gradient(
            CARD_SIZE, ImageColor.getrgb(colors[0]), ImageColor.getrgb(colors[1])
        )
    layout = layout_text(names, date_text)
    card = Image.alpha_composite(background.convert("RGBA"), _overlay(CARD_SIZE, layout.top))
    _write_text(card, layout)
    return encode_jpeg(card.convert("RGB"))


def open_photo(data: bytes, size: tuple[int, int]) -> Image.Image:
    """An RGB image from stored bytes, opened as uploads are (utils/file_processing.py): only
    our formats, refused over MAX_PIXELS from the header, JPEG decoded at a reduced scale that
    still covers `size`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValueError("the image is too large to draw a card from") from error
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ValueError(f"a {width}x{height} image is too large to draw a card from")
        if image.format == "JPEG":
            # draft() keeps both sides at least the requested ones; fit() crops the rest.
            scale = max(size[0] / width, size[1] / height)
            image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        image.load()
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        flat = Image.new("RGB", upright.size, (0, 0, 0))
        flat.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
        return flat
    return upright.convert("RGB")


def encode_jpeg(image: Image.Image) -> bytes:
    """Progressive, optimized JPEG with no EXIF or ICC, at the best quality under MAX_BYTES."""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, progressive=True, optimize=True)
        if buffer.tell() < MAX_BYTES:
            return buffer.getvalue()
    raise CardTooLargeError(f"the card is over {MAX_BYTES} bytes even at quality {quality}")


def _gradient(size: tuple[int, int], start: tuple, end: tuple) -> Image.Image:
    """A diagonal blend from `start` (top left) to `end` (bottom right)."""
    vertical = Image.linear_gradient("L").resize(size)
    horizontal = Image.linear_gradient("L").rotate(90)
    ramp = ImageChops.add(vertical, horizontal.resize(size), scale=2)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), ramp)


def _overlay(size: tuple[int, int], text_top: int) -> Image.Image:
    """Black: clear down to FADE px above the text, reaching TEXT_ALPHA where the text begins
    and BOTTOM_ALPHA at the bottom, so white text has a dark ground on any photo."""
    width, height = size
    start = max(0, text_top - FADE)
    alphas = []
    for row in range(height):
        if row < start:
            alphas.append(0)
        elif row < text_top:
            alphas.append(round(TEXT_ALPHA * ((row - start) / (text_top - start)) ** 1.6))
        else:
            share = (row - text_top) / max(1, height - text_top)
            alphas.append(round(TEXT_ALPHA + (BOTTOM_ALPHA - TEXT_ALPHA) * share))
    column = Image.new("L", (1, height))
    column.putdata(alphas)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    overlay.putalpha(column.resize(size))
    return overlay


@dataclass(frozen=True)
class TextLayout:
    """The lines to write, each with its font and the y of its top."""

    lines: list[tuple[str, ImageFont.FreeTypeFont, int]]

    @property
    def top(self) -> int:
        return self.lines[0][2] if self.lines else CARD_SIZE[1] - BOTTOM


def layout_text(names: str, date_text: str, size: tuple[int, int] = CARD_SIZE) -> TextLayout:
    """Names (at most NAMES_MAX_LINES lines) and the date under them, ending BOTTOM px above
    the bottom edge."""
    width, height = size
    max_width = width - 2 * MARGIN
    date_font = _font(DATE_FONT, DATE_SIZE)
    blocks: list[tuple[str, ImageFont.FreeTypeFont, int]] = []
    if names:
        lines, names_font = _fit_names(names, max_width)
        blocks = [(line, names_font, 0) for line in lines]
    if date_text:
        # A little more air between the names and the date.
        blocks.append((_truncate(date_text, date_font, max_width), date_font, DATE_GAP))
    total = sum(_line_height(font) + extra for _line, font, extra in blocks)
    y = height - BOTTOM - total - LINE_GAP * (len(blocks) - 1)
    placed = []
    for line, font, extra in blocks:
        y += extra
        placed.append((line, font, y))
        y += _line_height(font) + LINE_GAP
    return TextLayout(placed)


def _write_text(card: Image.Image, layout: TextLayout) -> None:
    """The lines centred, white with a soft shadow."""
    text_layer = Image.new("RGBA", card.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(text_layer)
    for line, font, y in layout.lines:
        draw.text((card.width / 2, y), line, font=font, fill=(*WHITE, 255), anchor="ma")
    shadow = Image.new("RGBA", card.size, (0, 0, 0, 0))
    shadow.putalpha(
        text_layer.getchannel("A").point(lambda a: a * 0.75).filter(ImageFilter.GaussianBlur(6))
    )
    card.alpha_composite(shadow, (0, 3))
    card.alpha_composite(text_layer)


def _fit_names(names: str, max_width: int) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """The largest size at which the names fit in at most NAMES_MAX_LINES lines; at the
    smallest size, whatever does not fit is cut with an ellipsis."""
    for size in NAMES_SIZES:
        font = _font(NAMES_FONT, size)
        lines = _wrap(names, font, max_width)
        if lines is not None and len(lines) <= NAMES_MAX_LINES:
            return lines, font
    font = _font(NAMES_FONT, NAMES_SIZES[-1])
    lines = _wrap(names, font, max_width, break_words=True) or [names]
    kept = lines[:NAMES_MAX_LINES]
    if len(lines) > NAMES_MAX_LINES:
        kept[-1] = kept[-1] + ELLIPSIS
    return [_truncate(line, font, max_width) for line in kept], font


def _wrap(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, *, break_words: bool = False
) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than the line (unless it may be
    cut, `break_words`, which leaves it to `_truncate`)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if font.getlength(word) > max_width and not break_words:
            return None
        if current:
            lines.append(current)
        current = word
    if current:
        lines.append(current)
    return lines


def _truncate(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> str:
    if font.getlength(text) <= max_width:
        return text
    while text and font.getlength(text.rstrip() + ELLIPSIS) > max_width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)
