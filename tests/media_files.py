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
