"""Uploaded files made safe to publish: images re-encoded without metadata, music checked.

What a file is comes from its bytes, never from its name or declared type. Images are
opened by Pillow with only the formats we accept, refused above MAX_PIXELS from the header
(before anything is decoded), refused when their data is missing or decoding them would need
more than DECODE_BUDGET bytes (estimated from the header), decoded one at a time per process
and at a reduced scale when JPEG allows it, turned upright by their EXIF orientation,
resized, and re-encoded with no metadata at all (GPS, comments, profiles).
Music is parsed by mutagen: a file it cannot read, or whose claims no song has, is refused.
"""

import hashlib
import io
import math
import re
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from decimal import Decimal

import mutagen
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000
MAX_SIDE = 1920
THUMBNAIL_SIDE = 400
JPEG_QUALITY = 85
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
# What the buffers of one decode and resize may take, estimated from the header
# (docs/editor-and-media.md, "Media uploads and storage"): a process decoding the worst accepted
# image peaks ~90 MB above its idle size.
DECODE_BUDGET = 80 * 1024 * 1024
# Decodes at once in one process (gthread workers): the rest wait up to DECODE_WAIT_SECONDS.
DECODE_SLOTS = 1
DECODE_WAIT_SECONDS = 10
# Bytes per pixel Pillow stores in each mode (4 for the others). 16-bit greyscale (2) also
# needs a 32-bit copy to be resized and scaled to 8 bits: 8 in all.
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 8, "I;16B": 8, "I;16L": 8, "I": 4}
# A resize premultiplies alpha in a copy of the whole image.
_ALPHA_MODES = ("RGBA", "LA", "PA")
# Pillow's WebP decoder holds two canvases of libwebp and a copy of the frame besides the image.
_WEBP_EXTRA_BYTES = 12
# A Huffman-coded JPEG spends at least one bit on every 8x8 block of its first component.
_MIN_SCAN_BITS_PER_BLOCK = 1
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_decode_slots = threading.BoundedSemaphore(DECODE_SLOTS)
# Music: no song lasts 2 hours; 1536 kbit/s is above CD-quality lossless (ALAC in M4A, 1411).
MAX_AUDIO_SECONDS = 2 * 3600
MAX_AUDIO_BITRATE = 1_536_000
# Duration x bitrate may exceed the file's size by this factor (headers round), no more.
AUDIO_SIZE_TOLERANCE = 2


class UnsupportedFileError(ValueError):
    """The content is none of the accepted types (415)."""


class InvalidFileError(ValueError):
    """An accepted type, but corrupt or too large to decode safely (422)."""


class DecoderBusyError(RuntimeError):
    """Every decode slot of this process stayed taken for DECODE_WAIT_SECONDS (503)."""


@dataclass(frozen=True)
class Rendition:
    content: bytes
    mime_type: str
    extension: str
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class ProcessedFile:
    main: Rendition
    thumbnail: Rendition | None = None
    duration_seconds: Decimal | None = None
    bitrate: int | None = None


def sniff(head: bytes) -> str | None:
    """'image', 'audio' or None, from the first bytes of a file."""
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"M4B"):
        return "audio"
    return None


def process_image(data: bytes) -> ProcessedFile:
    """The image upright, at most MAX_SIDE px, re-encoded without metadata, and a thumbnail."""
    if sniff(data[:16]) != "image":
        raise UnsupportedFileError("Images must be JPEG, PNG or WebP.")
    with warnings.catch_warnings():
        # Pillow's own bomb check warns first; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidFileError(
                    f"The image has {width}x{height} pixels; at most {MAX_PIXELS // 1_000_000} "
                    "megapixels are accepted."
                )
            held = 0
            # A camera's MPO (a JPEG followed by others, a depth map say) is its first JPEG.
            if image.format in ("JPEG", "MPO"):
                held = _check_jpeg(data, width, height)
                # Decode at 1/2, 1/4 or 1/8 scale when that still covers the target size.
                image.draft("RGB", _draft_size(width, height))
            _check_budget(image, held, width * height)
            if image.format == "PNG":
                _check_png(data)
            if not _decode_slots.acquire(timeout=DECODE_WAIT_SECONDS):
                raise DecoderBusyError("Every image decoder is busy.")
            try:
                image.load()
                return _renditions(image)
            finally:
                _decode_slots.release()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise InvalidFileError("The image is too large to decode safely.") from error
        except (InvalidFileError, DecoderBusyError):
            raise
        except Exception as error:  # noqa: BLE001 - any decoder failure is a corrupt file
            raise InvalidFileError("The image is corrupt or truncated.") from error


def _renditions(image: Image.Image) -> ProcessedFile:
    keep_alpha = image.format == "PNG" and _has_alpha(image)
    if image.mode.startswith("I"):
        image = image.convert("I")  # 16-bit greyscale: Pillow resizes it only as 32-bit
    # The bounds are square, so resizing before turning upright gives the same sizes; the
    # thumbnail is made from the resized image, and only small images are rotated.
    resized = _fit(image, MAX_SIDE)
    small = _fit(resized, THUMBNAIL_SIDE)
    main = _encode(ImageOps.exif_transpose(resized), keep_alpha)
    thumbnail = _encode(ImageOps.exif_transpose(small), keep_alpha)
    return ProcessedFile(main=main, thumbnail=thumbnail)


def process_audio(data: bytes) -> ProcessedFile:
    """MP3 or M4A, stored as sent once mutagen reads its duration and bitrate."""
    if sniff(data[:16]) != "audio":
        raise UnsupportedFileError("Music must be MP3 or M4A.")
    try:
        audio = mutagen.File(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - mutagen raises many kinds on bad input
        raise InvalidFileError("The audio file could not be read.") from error
    if isinstance(audio, MP3):
        mime_type, extension = "audio/mpeg", "mp3"
    elif isinstance(audio, MP4):
        mime_type, extension = "audio/mp4", "m4a"
    else:
        raise InvalidFileError("The audio file could not be read as MP3 or M4A.")
    length = getattr(audio.info, "length", 0) or 0
    if length <= 0:
        raise InvalidFileError("The audio file has no playable length.")
    bitrate = int(getattr(audio.info, "bitrate", 0) or 0) or None
    _check_audio_claims(length, bitrate, len(data))
    return ProcessedFile(
        main=Rendition(content=data, mime_type=mime_type, extension=extension),
        duration_seconds=Decimal(str(round(length, 2))),
        bitrate=bitrate,
    )


def _check_audio_claims(length: float, bitrate: int | None, size: int) -> None:
    """Refuse what headers claim and no real song has (a crafted MP3's Xing frame count can
    say anything): over MAX_AUDIO_SECONDS, over MAX_AUDIO_BITRATE, or more audio than the
    file holds."""
    if length > MAX_AUDIO_SECONDS:
        raise InvalidFileError(
            f"The audio file claims a duration over {MAX_AUDIO_SECONDS // 3600} hours."
        )
    if bitrate is None:
        return
    if bitrate > MAX_AUDIO_BITRATE:
        raise InvalidFileError(
            f"The audio file claims a bitrate over {MAX_AUDIO_BITRATE // 1000} kbit/s."
        )
    if length * bitrate / 8 > size * AUDIO_SIZE_TOLERANCE:
        raise InvalidFileError("The audio file claims more audio than it holds.")


def _check_budget(image: Image.Image, held: int, pixels: int) -> None:
    """Refuse an image whose decode would need more than DECODE_BUDGET: the pixels Pillow
    stores (at the JPEG draft scale), alpha's premultiplied copy, WebP's decoder buffers,
    `held` (what libjpeg keeps besides: every coefficient of a progressive JPEG) and the two
    passes of the resize to MAX_SIDE."""
    width, height = image.size
    per_pixel = _MODE_BYTES.get(image.mode, 4)
    if image.mode in _ALPHA_MODES:
        per_pixel += 4
    if image.format == "WEBP":
        per_pixel += _WEBP_EXTRA_BYTES
    needed = width * height * per_pixel + held
    scale = MAX_SIDE / max(width, height)
    if scale < 1:
        new_width, new_height = round(width * scale), round(height * scale)
        needed += 4 * (max(new_width * height, width * new_height) + new_width * new_height)
    if needed > DECODE_BUDGET:
        most = pixels * DECODE_BUDGET / needed / 1_000_000
        raise InvalidFileError(
            f"The image needs too much memory to decode ({pixels / 1_000_000:.1f} megapixels "
            f"{image.format}); about {most:.1f} megapixels of this kind are accepted, or send "
            "a baseline JPEG (up to 40)."
        )


def _check_jpeg(data: bytes, width: int, height: int) -> int:
    """Refuse a JPEG whose scans lack their data (a header claiming 40 Mpx over 600 bytes);
    answer the bytes libjpeg holds for its coefficients when it buffers the whole image
    (progressive, or one scan per component)."""
    frame, progressive, scans, scan_bytes = None, False, 0, 0
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:  # stray bytes between segments: libjpeg skips them too
            position = data.find(b"\xff", position)
            if position < 0:
                break
            continue
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position + 4 : position + 2 + length]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame = segment
            progressive = marker in (0xC2, 0xC6, 0xCA, 0xCE)
        position += 2 + length
        if marker == 0xDA:
            scans += 1
            found = _SCAN_END.search(data, position)
            end = found.start() if found else len(data)
            scan_bytes += end - position
            position = end
    blocks = math.ceil(width / 8) * math.ceil(height / 8)
    if frame is None or scan_bytes * 8 < blocks * _MIN_SCAN_BITS_PER_BLOCK:
        raise InvalidFileError("The image's data is missing or truncated.")
    if not progressive and scans <= 1:
        return 0
    sampling = [(frame[7 + 3 * n] >> 4, frame[7 + 3 * n] & 15) for n in range(frame[5])]
    h_max = max(h for h, _ in sampling) or 1
    v_max = max(v for _, v in sampling) or 1
    # libjpeg keeps every 8x8 block of every component: 64 coefficients of 2 bytes.
    return sum(
        math.ceil(width * h / h_max / 8) * math.ceil(height * v / v_max / 8) * 128
        for h, v in sampling
    )


def _check_png(data: bytes) -> None:
    """Refuse a PNG whose compressed rows end before the image does (Pillow fills the rest
    with black): the rows are inflated and counted, a megabyte at a time."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    bits = depth * _PNG_CHANNELS.get(colour, 4)
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    expected = 0
    for x0, y0, dx, dy in passes:
        columns = max(0, math.ceil((width - x0) / dx))
        rows = max(0, math.ceil((height - y0) / dy))
        if columns and rows:
            expected += rows * (1 + math.ceil(columns * bits / 8))
    inflater, inflated, position = zlib.decompressobj(), 0, 8
    try:
        while position + 8 <= len(data) and inflated < expected:
            length, kind = struct.unpack(">I4s", data[position : position + 8])
            if kind == b"IDAT":
                pending = data[position + 8 : position + 8 + length]
                while pending and inflated < expected:
                    inflated += len(inflater.decompress(pending, 1 << 20))
                    pending = inflater.unconsumed_tail
            position += 12 + length
    except zlib.error as error:
        raise InvalidFileError("The image is corrupt or truncated.") from error
    if inflated < expected:
        raise InvalidFileError("The image's data is missing or truncated.")


def _draft_size(width: int, height: int) -> tuple[int, int]:
    scale = MAX_SIDE / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _fit(image: Image.Image, side: int) -> Image.Image:
    """At most `side` px on the long side. Bilinear: Pillow's filters widen with the scale, so
    it still averages every source pixel; bicubic and Lanczos cost 1.6x and 2x as much here
    for no visible gain once JPEG-encoded. Large reductions first `reduce()` by whole steps."""
    scale = side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _encode(image: Image.Image, keep_alpha: bool) -> Rendition:
    """A fresh file from the pixels only: nothing of the original's metadata is written."""
    buffer = io.BytesIO()
    if image.mode == "I":
        image = image.point(lambda value: value / 256).convert("L")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    # Pillow writes some of the source's info back when saving (a JPEG's comment, a PNG's ICC
    # profile); `convert` made a copy of our own, so emptying it drops them.
    image.info = {}
    if keep_alpha:
        image.save(buffer, "PNG", optimize=True)
        mime_type, extension = "image/png", "png"
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        mime_type, extension = "image/jpeg", "jpg"
    return Rendition(
        content=buffer.getvalue(),
        mime_type=mime_type,
        extension=extension,
        width=image.width,
        height=image.height,
    )
