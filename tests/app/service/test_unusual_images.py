"""Valid but unusual images (16-bit, CMYK, palette with transparency, animated, every EXIF orientation,
1 x 10,000), over real HTTP to the session's live uvicorn: each must be classified, and is checked
against the same digit sent plainly, through the preview of what the model saw."""

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.app import uploads

SEVEN = uploads.SEVEN_PNG


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def stroke_strip(size: tuple[int, int]) -> bytes:
    """A 1-pixel-thin strip, white, with a dark stroke over a twentieth of its length in the middle."""
    strip = Image.new("L", size, 255)
    long_side = max(size)
    start, end = long_side * 19 // 40, long_side * 21 // 40
    box = (0, start, size[0], end) if size[1] > size[0] else (start, 0, end, size[1])
    ImageDraw.Draw(strip).rectangle(box, fill=0)
    return uploads.encode(strip)


def classify(http: httpx.Client, data: bytes) -> dict[str, Any]:
    response = http.post("/classify", files={"file": ("upload", data)})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def exif_oriented(orientation: int) -> bytes:
    """The seven stored so that a viewer applying the EXIF orientation shows it upright."""
    stored_as = {1: None, 2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
                 6: "ROTATE_90", 7: "TRANSVERSE", 8: "ROTATE_270"}[orientation]  # fmt: skip
    seven = uploads.draw_seven()
    stored = seven.transpose(Image.Transpose[stored_as]) if stored_as else seven
    exif = Image.Exif()
    exif[0x0112] = orientation
    return uploads.encode(stored, "PNG", exif=exif)


def palette_with_transparency() -> bytes:
    palette = uploads.draw_seven(mode="P", ink=1, paper=0)
    palette.putpalette([0, 0, 0, 0, 0, 0])  # black ink; the black paper (entry 0) is transparent
    return uploads.encode(palette, "PNG", transparency=0)


def sixteen_bit() -> bytes:
    deep = np.asarray(uploads.draw_seven(), dtype=np.uint16) * 257  # 0..65535: mode I;16
    return uploads.encode(Image.fromarray(deep))


def animated_gif() -> bytes:
    other = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(other).ellipse((30, 30, 90, 130), outline=0, width=12)  # a 0, second frame
    return uploads.encode(uploads.draw_seven(), "GIF", save_all=True, append_images=[other], duration=100, loop=0)


def colour_jpeg(mode: str) -> bytes:
    return uploads.encode(uploads.draw_seven(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)).convert(mode), "JPEG")


SAME_AS_PLAIN = [  # (name, upload): each must be seen exactly as the plain PNG of the seven
    ("16-bit PNG", sixteen_bit()),
    ("palette PNG with transparency", palette_with_transparency()),
    ("animated GIF: its first frame", animated_gif()),
    ("PNG with a wrong IDAT CRC: the pixels are intact", uploads.flip_byte(SEVEN, SEVEN.index(b"IEND") - 5)),
    *[(f"EXIF orientation {k}", exif_oriented(k)) for k in range(1, 9)],
]


@pytest.mark.parametrize(("name", "data"), SAME_AS_PLAIN, ids=[case[0] for case in SAME_AS_PLAIN])
def test_unusual_image_is_seen_as_the_plain_digit(http, name, data):
    plain, unusual = classify(http, SEVEN), classify(http, data)
    assert unusual["preview"] == plain["preview"]
    assert unusual["probabilities"] == plain["probabilities"]


def test_cmyk_jpeg_is_seen_as_the_rgb_jpeg(http):
    rgb, cmyk = classify(http, colour_jpeg("RGB")), classify(http, colour_jpeg("CMYK"))
    difference = np.abs(uploads.preview_pixels(cmyk["preview"]) / 255 - uploads.preview_pixels(rgb["preview"]) / 255)
    assert difference.mean() < 0.02
    assert cmyk["digit"] == rgb["digit"]


@pytest.mark.parametrize(("size", "axis"), [((1, 10_000), 0), ((10_000, 1), 1)], ids=["1 x 10,000", "10,000 x 1"])
def test_one_pixel_strip_is_seen_as_a_bar(http, size, axis):
    """A stroke along a 1-pixel strip: the model sees a bar along the strip, 20 px long, 1-3 px thick."""
    pixels = uploads.preview_pixels(classify(http, stroke_strip(size))["preview"])
    extent = np.count_nonzero(pixels.any(axis=1 - axis)), np.count_nonzero(pixels.any(axis=axis))
    assert extent[0] == 20 and 1 <= extent[1] <= 3, extent
