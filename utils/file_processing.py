"""Uploaded files made safe to publish: images re-encoded without metadata, music checked.

What a file is comes from its bytes, never from its name or declared type. Images are
opened by Pillow with only the formats we accept, refused above MAX_PIXELS from the header
(before anything is decoded), decoded at a reduced scale when JPEG allows it, turned upright
by their EXIF orientation, resized, and re-encoded with no metadata at all (GPS included).
Music is parsed by mutagen: a file it cannot read is refused.
"""

import hashlib
import io
import warnings
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
# Music: no song lasts 2 hours; 1536 kbit/s is above CD-quality lossless (ALAC in M4A, 1411).
MAX_AUDIO_SECONDS = 2 * 3600
MAX_AUDIO_BITRATE = 1_536_000
# Duration x bitrate may exceed the file's size by this factor (headers round), no more.
AUDIO_SIZE_TOLERANCE = 2


class UnsupportedFileError(ValueError):
    """The content is none of the accepted types (415)."""


class InvalidFileError(ValueError):
    """An accepted type, but corrupt or too large to decode safely (422)."""


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
            if image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when that still covers the target size.
                image.draft("RGB", _draft_size(width, height))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise InvalidFileError("The image is too large to decode safely.") from error
        except InvalidFileError:
            raise
        except Exception as error:  # noqa: BLE001 - any decoder failure is a corrupt file
            raise InvalidFileError("The image is corrupt or truncated.") from error
    keep_alpha = image.format == "PNG" and _has_alpha(image)
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
