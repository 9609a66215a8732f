"""Uploads made in code for the bad-input and property tests: digits, encodings, hand-built headers.

    from tests.app.uploads import draw_seven, encode, png_chunk, preview_pixels
    png = encode(draw_seven(), "PNG")                       # a black 7 on white, 120 x 160
    bomb = png_header(100_000, 100_000)                     # 10 gigapixels declared in 70 bytes
    preview_pixels(response.json()["preview"])              # (28, 28) uint8: what the model saw

Nothing here is a committed binary: each upload is drawn or assembled when the tests run.
"""

import base64
import io
import struct
import zipfile
import zlib
from typing import Any

import numpy as np
from PIL import Image, ImageDraw


def draw_seven(size: tuple[int, int] = (120, 160), mode: str = "L", ink: Any = 0, paper: Any = 255) -> Image.Image:
    """A "7" with a crossbar: no symmetry, so any wrong flip or rotation changes what the model sees."""
    image = Image.new(mode, size, paper)
    width, height = size
    stroke = max(2, round(0.09 * min(size)))
    points = [(0.25 * width, 0.2 * height), (0.75 * width, 0.2 * height), (0.4 * width, 0.85 * height)]
    draw = ImageDraw.Draw(image)
    draw.line(points, fill=ink, width=stroke, joint="curve")
    draw.line([(0.38 * width, 0.52 * height), (0.66 * width, 0.52 * height)], fill=ink, width=stroke)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noisy_seven(side: int, seed: int = 0) -> bytes:
    """The seven drawn on a side x side page with grain (+-48 grey levels) as a PNG: about 0.8 * side**2
    bytes, since noise does not compress; a body of over 1 MiB (side 1500) is spooled to disk."""
    page = np.asarray(draw_seven((side, side)), dtype=np.int16)
    grain = np.random.default_rng(seed).integers(-48, 49, page.shape)
    return encode(Image.fromarray(np.clip(page + grain, 0, 255).astype(np.uint8)))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height (8-bit grey) and carries one row of zeros: a bomb's header."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(bytes(64))) + png_chunk(b"IEND", b"")


def chunk_offset(png: bytes, kind: bytes) -> int:
    """Where the chunk's data starts (after its length and type)."""
    return png.index(kind) + 4


def flip_byte(data: bytes, offset: int) -> bytes:
    corrupt = bytearray(data)
    corrupt[offset] ^= 0xFF
    return bytes(corrupt)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) is rewritten to claim width x height."""
    data = bytearray(encode(Image.new("L", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    """A real GIF whose logical screen and first image descriptor claim width x height."""
    data = bytearray(encode(Image.new("L", (8, 8)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    descriptor = data.index(b"\x2c")  # the image separator
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("digit.png", encode(draw_seven()))
    return buffer.getvalue()


def heic_like() -> bytes:
    """The start of an HEIF/HEIC file: an ISO-BMFF `ftyp` box with brand `heic`, then junk."""
    ftyp = b"ftypheic" + b"\0\0\0\0" + b"mif1heic"
    return struct.pack(">I", 8 + len(ftyp) - 4) + ftyp + bytes(range(256)) * 4


def pdf_file() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def svg_file() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M7 5h14L11 23"/></svg>'


def preview_pixels(preview: str) -> np.ndarray:
    """A response's `preview` data URL -> the (28, 28) uint8 image the model saw."""
    prefix = "data:image/png;base64,"
    assert preview.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(preview[len(prefix) :])))
    assert (image.format, image.mode, image.size) == ("PNG", "L", (28, 28))
    return np.asarray(image)


SEVEN_PNG = encode(draw_seven())  # the plain upload that unusual ones are compared with
