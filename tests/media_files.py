"""Real files for upload tests: Pillow images with EXIF, a bomb header, a silent MP3."""

import functools
import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(width=800, height=600, colour=(200, 80, 120), *, gps=False, orientation=None) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    # A marker in the top-left corner shows which way up the pixels end.
    image.paste((0, 0, 0), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    if gps:
        exif[GPS_IFD] = {1: "S", 2: (12.0, 2.0, 46.0), 3: "W", 4: (77.0, 1.0, 43.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def png_with_alpha(width=300, height=200) -> bytes:
    image = Image.new("RGBA", (width, height), (10, 120, 200, 0))
    image.paste((255, 0, 0, 255), (50, 50, 150, 150))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def webp(width=640, height=480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 90)).save(buffer, "WEBP")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_bomb(side=30_000) -> bytes:
    """A PNG whose header claims side x side pixels, of about 110 KB: decoding it would need
    gigabytes, so it must be refused from the header."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    compressor, zeros, rows = zlib.compressobj(9), bytes(1 << 20), b""
    while len(rows) < 100_000:
        rows += compressor.compress(zeros)
    rows += compressor.flush(zlib.Z_SYNC_FLUSH)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def silent_mp3(seconds: int = 2) -> bytes:
    """MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: a playable, silent MP3."""
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    frame_length = 144 * 128_000 // 44_100  # 417 bytes, no padding
    frame = header + bytes(frame_length - len(header))
    frames_per_second = 44_100 / 1152
    return frame * round(seconds * frames_per_second)


def jpeg_with_metadata(width=800, height=600) -> bytes:
    """A JPEG carrying a comment (COM), an ICC profile, XMP and EXIF."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 60)).save(
        buffer,
        "JPEG",
        comment=b"secret comment: Calle Los Olivos 123",
        icc_profile=icc,
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
        exif=exif.tobytes(),
    )
    return buffer.getvalue()


def jpeg_markers(content: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments up to its first scan (0xFE is a comment)."""
    markers, position = [], 2
    while position + 4 <= len(content) and content[position] == 0xFF:
        marker = content[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        position += 2 + struct.unpack(">H", content[position + 2 : position + 4])[0]
    return markers


def mp3_with_xing(*, frames: int, size: int, seconds: int = 2) -> bytes:
    """The silent MP3 whose first frame is a Xing header claiming `frames` frames and `size`
    bytes: how a crafted file makes mutagen read any duration or bitrate."""
    body = silent_mp3(seconds)
    first = bytearray(body[:417])
    # MPEG-1 Layer III joint stereo: 32 bytes of side information after the 4-byte header.
    first[36:52] = b"Xing" + struct.pack(">III", 0x3, frames, size)
    return bytes(first) + body[417:]


def jpeg_without_scan_data(width=7000, height=5700) -> bytes:
    """A JPEG's headers claiming width x height, with its scan's data left out (330 bytes)."""
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "JPEG", quality=50)
    content = buffer.getvalue()
    scan = content.index(b"\xff\xda")
    header_end = scan + 2 + struct.unpack(">H", content[scan + 2 : scan + 4])[0]
    return content[:header_end] + b"\xff\xd9"


def png_missing_rows(width=3000, height=3000) -> bytes:
    """A valid PNG stream that ends after 10 of its rows (Pillow paints the rest black)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress((b"\x00" + bytes(width * 3)) * 10)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def png_16bit_grey(width=600, height=400, level=40_000) -> bytes:
    buffer = io.BytesIO()
    Image.new("I;16", (width, height), level).save(buffer, "PNG")
    return buffer.getvalue()


def png_interlaced(width=37, height=23, *, cut=0) -> bytes:
    """An Adam7-interlaced grey PNG (Pillow cannot write one), its last `cut` bytes of rows
    left out of an otherwise valid stream."""
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4))
    passes += ((1, 0, 2, 2), (0, 1, 1, 2))
    rows = b""
    for x0, y0, dx, dy in passes:
        columns = len(range(x0, width, dx))
        if columns:
            rows += (b"\x00" + bytes([120]) * columns) * len(range(y0, height, dy))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows[: len(rows) - cut]))
        + _chunk(b"IEND", b"")
    )
