"""Generated cover art for a design template: its colours, its name, a simple frame.

Made with Pillow; the same inputs always give the same bytes, so re-seeding rewrites nothing.
"""

import functools
import io
import unicodedata

from PIL import Image, ImageDraw, ImageFont

PREVIEW_SIZE = (1200, 900)
THUMBNAIL_SIZE = (480, 360)
JPEG_QUALITY = 90
# Serif faces with Spanish accents, found by name in the system's font folders (Linux,
# macOS, Windows); without any, Pillow's own font, which has no accented letters.
SERIF_FONTS = ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf", "Georgia.ttf", "georgia.ttf")

Color = tuple[int, int, int]


def template_artwork(
    name: str, subtitle: str, primary: str, secondary: str, size: tuple[int, int]
) -> bytes:
    """A JPEG of `size`: a soft gradient of the secondary colour, a double frame and an
    ornament in the primary colour, the name and a subtitle centred."""
    width, height = size
    background, accent = hex_color(secondary), hex_color(primary)
    ink = readable_on(accent, background)

    image = _vertical_gradient(size, _mix(background, (255, 255, 255), 0.35), background)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    outer, inner = round(unit * 0.045), round(unit * 0.065)
    draw.rectangle(
        (outer, outer, width - 1 - outer, height - 1 - outer),
        outline=ink,
        width=max(2, unit // 120),
    )
    draw.rectangle(
        (inner, inner, width - 1 - inner, height - 1 - inner),
        outline=_mix(ink, background, 0.45),
        width=max(1, unit // 300),
    )

    if not _has_accents():
        name, subtitle = _without_accents(name), _without_accents(subtitle)
    title_font = _fitting_font(draw, name, start=round(unit * 0.13), max_width=width * 0.78)
    subtitle_font = _font(max(10, round(unit * 0.05)))
    centre_x, centre_y = width / 2, height / 2
    draw.text((centre_x, centre_y), name, font=title_font, fill=ink, anchor="mm")
    title_height = title_font.size
    subtitle_y = centre_y + title_height * 0.95
    draw.text(
        (centre_x, subtitle_y),
        subtitle.upper(),
        font=subtitle_font,
        fill=_mix(ink, background, 0.25),
        anchor="mm",
    )
    for direction in (-1, 1):
        ornament_y = centre_y + direction * title_height * (0.95 if direction < 0 else 1.75)
        _ornament(draw, centre_x, ornament_y, unit, ink, background)

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def hex_color(value: str) -> Color:
    """`#RRGGBB` (or `RRGGBB`) as an RGB tuple."""
    digits = value.strip().lstrip("#")
    if len(digits) != 6:
        raise ValueError(f"not a #RRGGBB colour: {value!r}")
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def readable_on(color: Color, background: Color, minimum: float = 4.5) -> Color:
    """`color`, darkened or lightened until text in it reads on `background` (WCAG ratio)."""
    target = (0, 0, 0) if _luminance(background) > 0.4 else (255, 255, 255)
    for step in range(11):
        candidate = _mix(color, target, step / 10)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return target


def contrast_ratio(first: Color, second: Color) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _mix(first: Color, second: Color, share_of_second: float) -> Color:
    red, green, blue = (
        round(a + (b - a) * share_of_second) for a, b in zip(first, second, strict=True)
    )
    return red, green, blue


def _vertical_gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    # One column drawn, then stretched: fast at any size.
    width, height = size
    column = Image.new("RGB", (1, height))
    column.putdata([_mix(top, bottom, y / max(1, height - 1)) for y in range(height)])
    return column.resize(size)


def _fitting_font(draw: ImageDraw.ImageDraw, text: str, *, start: int, max_width: float):
    size = start
    while True:
        font = _font(size)
        if draw.textlength(text, font=font) <= max_width or size <= 12:
            return font
        size = round(size * 0.9)


def _ornament(draw, x: float, y: float, unit: int, ink: Color, background: Color) -> None:
    """A small diamond between two fading rules."""
    half = unit * 0.018
    draw.polygon([(x, y - half), (x + half, y), (x, y + half), (x - half, y)], fill=ink)
    rule = _mix(ink, background, 0.35)
    gap, length = half * 2.2, unit * 0.16
    width = max(1, unit // 300)
    draw.line([(x - gap - length, y), (x - gap, y)], fill=rule, width=width)
    draw.line([(x + gap, y), (x + gap + length, y)], fill=rule, width=width)


@functools.cache
def _font_file() -> str | None:
    for name in SERIF_FONTS:
        try:
            ImageFont.truetype(name, 12)
        except OSError:
            continue
        return name
    return None


def _has_accents() -> bool:
    return _font_file() is not None


@functools.cache
def _font(size: int):
    name = _font_file()
    return ImageFont.truetype(name, size) if name else ImageFont.load_default(size=size)


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
