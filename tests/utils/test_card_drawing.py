"""The card's drawing: size, format, legibility on any photo, accents, and hostile inputs."""

import io
import os

import pytest
from PIL import Image, ImageFont

from tests.media_files import jpeg, png_bomb, png_with_alpha
from utils.card_drawing import (
    CARD_SIZE,
    MARGIN,
    MAX_BYTES,
    NAMES_FONT,
    draw_card,
    layout_text,
)

DATE = "sábado 14 de marzo de 2026"
COLORS = ("#5B3A4A", "#C9A96E")


def card(names="Ana & Luis", date_text=DATE, photo=None, colors=COLORS) -> Image.Image:
    content = draw_card(names=names, date_text=date_text, photo=photo, colors=colors)
    assert len(content) < MAX_BYTES
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and image.size == CARD_SIZE
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def luminance(grey: int) -> float:
    channel = grey / 255
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def test_a_camera_photo_with_gps_becomes_a_card_without_any_metadata():
    image = card(photo=jpeg(4000, 3000, gps=True, orientation=6))

    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info


def test_even_a_photo_of_pure_noise_stays_under_300_kb():
    noise = Image.frombytes("RGB", (1920, 1080), os.urandom(1920 * 1080 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=95)

    card(photo=buffer.getvalue())


def test_white_text_has_a_dark_ground_even_on_a_white_photo():
    image = card(photo=png(Image.new("RGB", (1600, 900), "white"))).convert("L")
    top = layout_text("Ana & Luis", DATE).top

    # Beside the text (inside the margin), from the top of the names down.
    darkest_ground = max(image.getpixel((MARGIN // 2, y)) for y in range(top, CARD_SIZE[1]))
    contrast = 1.05 / (luminance(darkest_ground) + 0.05)
    assert contrast >= 7  # WCAG AAA, for normal-sized text even
    assert image.getpixel((600, 40)) > 245  # the photo above the text is left as it is


def test_accented_names_render_their_accents():
    font = ImageFont.truetype(str(NAMES_FONT), 80)
    missing = font.getmask("\uffff").getbbox()  # what a glyph the font lacks would look like
    for letter in "áéíóúÁÉÍÓÚñÑü":
        assert font.getmask(letter).getbbox() != missing
    plain = card(names="Angeles & Nunez").tobytes()
    accented = card(names="Ángeles & Núñez").tobytes()
    assert plain != accented


@pytest.mark.parametrize(
    "names",
    [
        "Ana & Luis",
        "María Fernanda de los Ángeles & Juan Sebastián Ñúñez Villanueva",
        "Hubertinaconunnombrequenoacabanuncaysiguesiguiendo & Luis",
        "palabra " * 60,
    ],
)
def test_names_shrink_wrap_and_are_cut_to_stay_inside_the_card(names):
    layout = layout_text(names, DATE)

    name_lines = layout.lines[:-1]
    assert 1 <= len(name_lines) <= 2
    for line, font, y in layout.lines:
        assert font.getlength(line) <= CARD_SIZE[0] - 2 * MARGIN
        assert y >= 0
    assert card(names=names)


def test_short_names_are_written_large_on_one_line():
    line, font, _y = layout_text("Ana & Luis", DATE).lines[0]
    assert line == "Ana & Luis" and font.size >= 96


def test_without_a_photo_the_template_colours_fill_the_card():
    image = card(colors=("#102080", "#102080")).convert("RGB")
    red, green, blue = image.getpixel((600, 40))
    assert abs(red - 0x10) < 10 and abs(green - 0x20) < 10 and abs(blue - 0x80) < 10


def test_a_transparent_png_and_a_portrait_photo_are_cropped_to_fill():
    assert card(photo=png_with_alpha(300, 200))
    assert card(photo=jpeg(900, 1600))


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ValueError, match="too large"):
        card(photo=png_bomb())
