"""Image checks and re-encoding with Pillow. Pure: bytes in, clean bytes out.

The type is decided by the content (Pillow identifies the format from magic bytes), never by
the file name or the Content-Type header. Re-encoding drops EXIF (with GPS), comments and
any trailing payload, so a JPEG/HTML polyglot comes out as a plain JPEG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from council.i18n import _

if TYPE_CHECKING:
    from PIL import Image

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # about 7700 × 5200: more than any phone camera, far below a bomb
MAX_EDGE = 2560  # stored images are scaled down to this longest side
MAX_FILES = 6
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message is for the person (zh-CN)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(
    data: bytes, *, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS
) -> CleanImage:
    if not data:
        raise ImageRejected(_("上传的文件是空的"))
    if len(data) > max_bytes:
        raise ImageRejected(_("图片不能超过 %(mb)s MB", mb=max_bytes // (1024 * 1024) or 1))
    # Imported here: a web worker that is never sent a photo does not carry Pillow.
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            width, height = image.size  # read from the header, before any pixel is decoded
            if fmt not in ACCEPTED_FORMATS:
                raise ImageRejected(_("只能上传 JPEG、PNG 或 WebP 格式的照片"))
            if width * height > max_pixels:
                raise ImageRejected(
                    _("图片像素过多（%(w)s×%(h)s），请缩小后再传", w=width, h=height)
                )
            image.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(_("图片像素过多，请缩小后再传")) from None
        except UnidentifiedImageError:
            raise ImageRejected(_("只能上传 JPEG、PNG 或 WebP 格式的照片")) from None
        except (OSError, SyntaxError, ValueError):
            raise ImageRejected(_("图片文件已损坏，无法读取")) from None
    return _reencode(image)


def _reencode(image: Image.Image) -> CleanImage:
    from PIL import Image, ImageOps

    # Turn the picture upright first: the orientation tag goes away with the rest of EXIF.
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
    if has_alpha:
        image = image.convert("RGBA")
        # A fresh image carries no text chunks, ICC profile or EXIF from the original.
        fresh = Image.new("RGBA", image.size)
        fresh.paste(image)
        fresh.save(out, format="PNG", optimize=True)
        return CleanImage(out.getvalue(), "image/png", "png", *fresh.size)
    fresh = Image.new("RGB", image.size)
    fresh.paste(image.convert("RGB"))
    fresh.save(out, format="JPEG", quality=85, optimize=True)
    return CleanImage(out.getvalue(), "image/jpeg", "jpg", *fresh.size)
