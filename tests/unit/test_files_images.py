"""Uploads are judged by content and re-encoded (SECURITY.md, uploads; S23)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from council.files.images import ImageRejected, clean_image
from council.files.storage import LocalStorage, new_name, valid_name
from tests.images import (
    HTML,
    SVG,
    exif_of,
    jpeg_html_polyglot,
    jpeg_with_gps,
    png_bytes,
    png_claiming,
)


def test_jpeg_is_reencoded_without_exif_or_gps() -> None:
    original = jpeg_with_gps()
    assert exif_of(original), "the fixture really carries EXIF"
    cleaned = clean_image(original)
    assert cleaned.content_type == "image/jpeg"
    assert exif_of(cleaned.data) == {}
    assert b"TestCam" not in cleaned.data
    assert (cleaned.width, cleaned.height) == (64, 48)


def test_png_with_transparency_stays_png() -> None:
    cleaned = clean_image(png_bytes())
    assert cleaned.content_type == "image/png"
    assert Image.open(io.BytesIO(cleaned.data)).format == "PNG"


def test_S23_polyglot_loses_its_payload() -> None:
    cleaned = clean_image(jpeg_html_polyglot())
    assert b"<script" not in cleaned.data
    assert b"<html" not in cleaned.data


@pytest.mark.parametrize("data", [HTML, SVG, b"GIF89a-not-really", b"\xff\xd8\xff\xe0garbage"])
def test_S23_non_images_and_wrong_magic_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected) as refused:
        clean_image(data)
    assert "JPEG" in refused.value.message or "损坏" in refused.value.message


def test_S23_oversized_file_is_refused() -> None:
    with pytest.raises(ImageRejected, match="不能超过"):
        clean_image(jpeg_with_gps(), max_bytes=100)


def test_S23_pixel_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageRejected, match="像素过多"):
        clean_image(png_claiming(20_000, 20_000))


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageRejected, match="空的"):
        clean_image(b"")


def test_stored_names_are_random_and_traversal_proof(tmp_path) -> None:
    storage = LocalStorage(tmp_path)
    name = new_name()
    assert valid_name(name) and name != new_name()
    storage.put(name, b"abc")
    assert storage.get(name) == b"abc"
    for hostile in ("../../etc/passwd", "..", "a\r\nb", name.upper(), name + ".jpg"):
        assert not valid_name(hostile)
        assert storage.get(hostile) is None
    storage.delete(name)
    assert storage.get(name) is None
