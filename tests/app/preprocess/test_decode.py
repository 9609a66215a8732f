"""app.preprocess decoding: every format the service reads gives the same digit, upright and on
white; a large JPEG is decoded reduced; what is not an image, too large or corrupt is refused."""

import base64
import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.preprocess import ImageRejected, decode, preprocess, to_png_data_url
from tests.app.preprocess.drawn import MAX_PIXELS, assert_same_digit, draw_four, encode, reference_four, rejection


@pytest.fixture(scope="module")
def four() -> np.ndarray:
    return reference_four()


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("JPEG", {"quality": 90}), ("GIF", {}), ("BMP", {}), ("WEBP", {"lossless": True})],
)
def test_each_format_is_accepted(fmt: str, options: dict, four: np.ndarray) -> None:
    drawing = draw_four(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    assert_same_digit(preprocess(encode(drawing, fmt, **options), MAX_PIXELS), four)


def test_transparent_png_is_composited_on_white(four: np.ndarray) -> None:
    # Transparent *black* background, as a canvas export: read without compositing it is all ink.
    canvas = draw_four(mode="RGBA", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0))
    assert_same_digit(preprocess(encode(canvas), MAX_PIXELS), four)
    assert_same_digit(preprocess(encode(canvas, "WEBP", lossless=True), MAX_PIXELS), four)


def test_palette_transparency_is_composited_on_white(four: np.ndarray) -> None:
    palette = draw_four(mode="P", ink=1, paper=0)
    palette.putpalette([0, 0, 0, 0, 0, 0])  # both entries black; entry 0 is transparent
    for fmt in ("PNG", "GIF"):
        assert_same_digit(preprocess(encode(palette, fmt, transparency=0), MAX_PIXELS), four)


def test_grey_colour_key_transparency_is_composited_on_white(four: np.ndarray) -> None:
    keyed = draw_four(ink=0, paper=7)  # grey level 7 is the transparent one
    assert_same_digit(preprocess(encode(keyed, transparency=7), MAX_PIXELS), four)


def pillow_grey_on_white(image: Image.Image) -> np.ndarray:
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, image.convert("RGBA")).convert("L"), dtype=np.int16)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16"])
def test_every_png_colour_type_decodes_to_the_grey_pillow_reads(mode: str) -> None:
    """The PNG path (libspng) against Pillow: colours in the right order, alpha on white, 16 bits to 8."""
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((40, 50)) < 0.5, 255, rgba[..., 3])  # opaque and translucent pixels
    image = Image.fromarray(rgba, "RGBA")
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (40, 50), dtype=np.uint16))
        expected = np.rint(np.asarray(image, dtype=np.float64) / 257).astype(np.int16)
    else:
        image = image.convert(mode)
        expected = pillow_grey_on_white(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert np.abs(decode(buffer.getvalue(), MAX_PIXELS).astype(np.int16) - expected).max() <= 1


# Stored pixels for each EXIF orientation: the transpose that the tag's display rotation undoes.
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_exif_orientation_is_applied(orientation: int, fmt: str) -> None:
    upright = draw_four(size=(240, 180), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    expected = preprocess(encode(upright, fmt, quality=95), MAX_PIXELS)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.transpose(STORED_AS[orientation])
    assert_same_digit(preprocess(encode(stored, fmt, quality=95, exif=exif), MAX_PIXELS), expected)
    untagged = preprocess(encode(stored, fmt, quality=95), MAX_PIXELS)
    assert np.abs(untagged - expected).mean() > 0.05  # the oracle can tell orientations apart


def test_a_large_jpeg_is_decoded_reduced_and_gives_the_same_digit() -> None:
    """A 12 MP photo is decoded at 1/8 scale (its longer side 504 px), and reads as the small one."""
    small = draw_four(size=(400, 300), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    large = small.resize((4032, 3024), Image.Resampling.BILINEAR)
    data = encode(large, "JPEG", quality=90)
    assert decode(data, MAX_PIXELS).shape == (378, 504)
    expected = preprocess(encode(small, "JPEG", quality=90), MAX_PIXELS)
    assert_same_digit(preprocess(data, MAX_PIXELS), expected, tolerance=0.03)


def test_animated_gif_uses_its_first_frame(four: np.ndarray) -> None:
    seven = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(seven).line([(60, 40), (140, 40), (80, 160)], fill=0, width=14)
    animation = encode(draw_four(), "GIF", save_all=True, append_images=[seven], duration=100, loop=0)
    assert_same_digit(preprocess(animation, MAX_PIXELS), four)


def test_16_bit_png_is_scaled_not_clipped(four: np.ndarray) -> None:
    deep = np.asarray(draw_four(), dtype=np.uint16) * 257  # 0..65535: a 16-bit greyscale PNG
    np.testing.assert_array_equal(decode(encode(Image.fromarray(deep)), MAX_PIXELS), np.asarray(draw_four()))
    assert_same_digit(preprocess(encode(Image.fromarray(deep)), MAX_PIXELS), four)


def test_cmyk_jpeg_is_read(four: np.ndarray) -> None:
    cmyk = draw_four(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert("CMYK")
    assert_same_digit(preprocess(encode(cmyk, "JPEG", quality=95), MAX_PIXELS), four)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text\n", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", b"PK\x03\x04\x14\x00\x00\x00", b"<svg/>"],
    ids=["empty", "text", "pdf", "zip", "svg"],
)
def test_rejects_non_images_with_415(data: bytes) -> None:
    error = rejection(data)
    assert error.status_code == 415 and "PNG, JPEG, GIF, BMP, WebP" in error.detail


def test_rejects_tiff_with_415() -> None:
    assert rejection(encode(draw_four(), "TIFF")).status_code == 415  # PIL reads it; the service does not


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_rejects_truncated_image_with_400(fmt: str) -> None:
    data = encode(draw_four(mode="RGB"), fmt)
    assert rejection(data[: len(data) // 3]).status_code == 400


@pytest.mark.parametrize(
    "signature", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\0\0\0\0WEBP"]
)
def test_rejects_corrupt_data_behind_a_valid_signature_with_400(signature: bytes) -> None:
    assert rejection(signature + bytes(range(256)) * 4).status_code == 400


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height (8-bit greyscale) and holds one row of compressed zeros."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(bytes(1024))) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # PIL's own, above 89 M pixels
@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (12_000, 8_000), (9_000, 9_000)])
def test_rejects_huge_png_header_with_413_without_decoding(width: int, height: int) -> None:
    started = time.perf_counter()
    error = rejection(png_header(width, height))
    assert error.status_code == 413
    assert time.perf_counter() - started < 0.5  # nothing was decoded


def test_rejects_image_over_the_pixel_limit_with_413() -> None:
    error = rejection(encode(draw_four(size=(200, 200))), max_pixels=200 * 200 - 1)
    assert error.status_code == 413 and "200x200" in error.detail


def test_rejects_zero_sized_header() -> None:
    assert rejection(png_header(0, 0)).status_code in (400, 413)


def test_image_rejected_carries_status_and_detail() -> None:
    error = ImageRejected(415, "not an image")
    assert isinstance(error, ValueError)
    assert (error.status_code, error.detail, str(error)) == (415, "not an image", "not an image")


def test_preview_is_a_png_data_url_of_the_input(four: np.ndarray) -> None:
    url = to_png_data_url(four)
    assert url.startswith("data:image/png;base64,")
    preview = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert (preview.format, preview.mode, preview.size) == ("PNG", "L", (28, 28))
    np.testing.assert_allclose(np.asarray(preview) / 255, four, atol=1 / 255)
