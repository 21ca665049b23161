"""Uploaded images are re-encoded upright, small and without metadata; music is parsed."""

import io
import time

import pytest
from PIL import Image, PngImagePlugin

from tests.media_files import (
    jpeg,
    jpeg_markers,
    jpeg_with_metadata,
    jpeg_without_scan_data,
    mp3_with_xing,
    png_16bit_grey,
    png_bomb,
    png_interlaced,
    png_missing_rows,
    png_with_alpha,
    silent_mp3,
    webp,
)
from utils import file_processing
from utils.file_processing import (
    DecoderBusyError,
    InvalidFileError,
    UnsupportedFileError,
    process_audio,
    process_image,
)


def opened(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def test_a_camera_photo_is_resized_with_a_thumbnail_and_no_metadata():
    processed = process_image(jpeg(4000, 3000, gps=True))

    main, thumbnail = processed.main, processed.thumbnail
    assert (main.width, main.height, main.mime_type) == (1920, 1440, "image/jpeg")
    assert (thumbnail.width, thumbnail.height) == (400, 300)
    image = opened(main.content)
    assert image.format == "JPEG" and image.info.get("progressive") == 1
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "exif" not in opened(thumbnail.content).info


def test_comments_icc_profiles_and_xmp_are_dropped_from_the_photo_and_its_thumbnail():
    processed = process_image(jpeg_with_metadata())

    for rendition in (processed.main, processed.thumbnail):
        # Only the JFIF header, tables, frame and scan: no APPn beyond APP0, no COM (0xFE).
        assert set(jpeg_markers(rendition.content)) <= {0xE0, 0xDB, 0xC2, 0xC4, 0xDA}
        assert b"secret" not in rendition.content
        assert "comment" not in opened(rendition.content).info


def test_a_png_keeps_no_icc_profile_or_text():
    source = Image.new("RGBA", (300, 200), (10, 120, 200, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret text")
    buffer = io.BytesIO()
    source.save(buffer, "PNG", pnginfo=info, icc_profile=b"secret icc profile bytes")

    processed = process_image(buffer.getvalue())

    for rendition in (processed.main, processed.thumbnail):
        assert rendition.mime_type == "image/png"
        assert b"secret" not in rendition.content
        assert b"iCCP" not in rendition.content


def test_the_exif_orientation_is_applied_to_the_pixels():
    # Orientation 6: the camera was turned; the stored 800x600 shows upright as 600x800.
    processed = process_image(jpeg(800, 600, orientation=6))

    image = opened(processed.main.content).convert("RGB")
    assert image.size == (600, 800)
    # The black marker of the stored top-left corner is now at the top right.
    assert image.getpixel((590, 10)) == pytest.approx((0, 0, 0), abs=20)
    assert dict(image.getexif()) == {}


def test_a_png_keeps_its_transparency():
    processed = process_image(png_with_alpha())

    image = opened(processed.main.content)
    assert processed.main.mime_type == "image/png"
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((100, 100))[3] == 255


def test_webp_is_accepted_and_stored_as_jpeg():
    processed = process_image(webp())

    assert processed.main.mime_type == "image/jpeg"
    assert (processed.main.width, processed.main.height) == (640, 480)


def test_the_sha256_is_of_the_stored_bytes():
    import hashlib

    processed = process_image(jpeg())

    assert processed.main.sha256 == hashlib.sha256(processed.main.content).hexdigest()


def test_a_decompression_bomb_is_refused_from_its_header_at_once():
    bomb = png_bomb()
    assert len(bomb) < 120_000

    started = time.perf_counter()
    with pytest.raises(InvalidFileError):
        process_image(bomb)
    assert time.perf_counter() - started < 1.0


def test_over_40_megapixels_is_refused():
    buffer = io.BytesIO()
    Image.new("L", (8000, 5100)).save(buffer, "PNG")

    with pytest.raises(InvalidFileError, match="megapixels"):
        process_image(buffer.getvalue())


@pytest.mark.parametrize(
    "content",
    [jpeg_without_scan_data(), png_missing_rows(), png_interlaced(cut=5)],
    ids=["jpeg-headers-claiming-40-mpx", "png-rows-ending-early", "interlaced-png-cut"],
)
def test_an_image_whose_data_is_missing_is_invalid(content):
    with pytest.raises(InvalidFileError, match="missing"):
        process_image(content)


def test_an_interlaced_png_with_all_its_rows_is_accepted():
    processed = process_image(png_interlaced())

    assert (processed.main.width, processed.main.height) == (37, 23)
    assert opened(processed.main.content).convert("L").getpixel((36, 22)) == pytest.approx(
        120, abs=3
    )


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        # Decoded whole (no reduced scale): 9 Mpx with alpha, 9 Mpx of WebP.
        encoded(Image.new("RGBA", (3000, 3000), (1, 2, 3, 4)), "PNG"),
        encoded(Image.new("RGB", (3000, 3000), (1, 2, 3)), "WEBP", lossless=True),
        # Progressive: libjpeg keeps every coefficient of the 20 Mpx.
        encoded(Image.new("RGB", (5000, 4000), (1, 2, 3)), "JPEG", progressive=True),
    ],
    ids=["png-rgba-9mpx", "webp-9mpx", "progressive-jpeg-20mpx"],
)
def test_an_image_costing_more_than_the_decode_budget_is_refused_before_decoding(content):
    started = time.perf_counter()
    with pytest.raises(InvalidFileError, match="too much memory") as refused:
        process_image(content)
    assert time.perf_counter() - started < 0.5
    assert "megapixels of this kind are accepted" in str(refused.value)


def test_a_40_megapixel_baseline_jpeg_is_still_accepted():
    content = encoded(Image.new("RGB", (7740, 5160), (90, 140, 60)), "JPEG", quality=50)

    processed = process_image(content)

    assert (processed.main.width, processed.main.height) == (1920, 1280)


def test_a_16_megapixel_mpo_from_a_camera_is_decoded_like_a_jpeg():
    photo, depth_map = Image.new("RGB", (4608, 3456), (90, 140, 60)), Image.new("L", (400, 300))
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[depth_map])

    processed = process_image(buffer.getvalue())

    assert (processed.main.width, processed.main.height) == (1920, 1440)


def test_stray_bytes_between_jpeg_segments_are_skipped_as_libjpeg_does():
    content = jpeg(1200, 900)
    tables = content.index(b"\xff\xdb")

    processed = process_image(content[:tables] + b"\x00\x00\x00" + content[tables:])

    assert processed.main.width == 1200


def test_a_16_bit_grey_png_is_stored_as_grey():
    processed = process_image(png_16bit_grey(level=40_000))

    image = opened(processed.main.content)
    assert (image.width, image.height) == (600, 400)
    assert image.convert("L").getpixel((10, 10)) == pytest.approx(40_000 // 256, abs=3)


def test_a_decode_waits_for_a_free_slot_and_gives_up_when_none_frees(monkeypatch):
    monkeypatch.setattr(file_processing, "DECODE_WAIT_SECONDS", 0.2)
    held = [file_processing._decode_slots.acquire() for _ in range(file_processing.DECODE_SLOTS)]
    try:
        with pytest.raises(DecoderBusyError):
            process_image(jpeg())
    finally:
        for _ in held:
            file_processing._decode_slots.release()

    assert process_image(jpeg()).main.width == 800


@pytest.mark.parametrize(
    "content",
    [b"just some text, named foto.jpg", b"%PDF-1.7\n...", b"GIF89a" + bytes(100)],
    ids=["text", "pdf", "gif"],
)
def test_what_is_not_an_accepted_image_is_unsupported(content):
    with pytest.raises(UnsupportedFileError):
        process_image(content)


def test_a_truncated_jpeg_is_invalid():
    with pytest.raises(InvalidFileError):
        process_image(jpeg()[:300])


def test_an_mp3_gets_its_duration_and_bitrate():
    processed = process_audio(silent_mp3(seconds=2))

    assert processed.main.mime_type == "audio/mpeg"
    assert 1.9 <= float(processed.duration_seconds) <= 2.1
    assert processed.bitrate == 128_000
    assert processed.thumbnail is None


def test_audio_that_does_not_parse_is_invalid_and_an_image_is_not_music():
    with pytest.raises(InvalidFileError):
        process_audio(b"ID3" + bytes(50))
    with pytest.raises(UnsupportedFileError):
        process_audio(jpeg())


@pytest.mark.parametrize(
    "content",
    [
        mp3_with_xing(frames=0xFFFF_FFFF, size=100_000),  # 1.1e8 s
        mp3_with_xing(frames=1, size=0xFFFF_FFFF),  # 1.3e12 bit/s
        mp3_with_xing(frames=200_000, size=3_000_000),  # 87 min of 3 MB in a 33 KB file
    ],
    ids=["endless", "impossible-bitrate", "more-than-the-file-holds"],
)
def test_music_claiming_what_no_real_song_has_is_invalid(content):
    with pytest.raises(InvalidFileError, match="duration|bitrate|holds"):
        process_audio(content)
