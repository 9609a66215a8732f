"""Digits drawn in code for the preprocessing tests, and the checks they share.

    from tests.app.preprocess.drawn import MAX_PIXELS, assert_same_digit, draw_four, encode, rejection
    four = preprocess(encode(draw_four()), MAX_PIXELS)        # the reference (28, 28) input
    assert_same_digit(preprocess(encode(draw_four(ink=255, paper=0)), MAX_PIXELS), four)

The oracle throughout: the same digit drawn another way (inverted, transparent, rotated with an
EXIF tag, in colour, in another format, on other paper) must give the same 28x28 input.
"""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.preprocess import ImageRejected, preprocess

MAX_PIXELS = 40_000_000
SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def draw_four(size=(200, 200), box=(0.3, 0.2, 0.7, 0.8), ink=0, paper=255, mode="L") -> Image.Image:
    """A "4" (no symmetry, so a wrong rotation or mirror shows) in `box`, fractions of the canvas."""
    image = Image.new(mode, size, paper)
    width, height = size
    left, top, right, bottom = box

    def at(x: float, y: float) -> tuple[float, float]:
        return width * (left + (right - left) * x), height * (top + (bottom - top) * y)

    stroke = max(1, round(0.12 * (bottom - top) * height))  # about MNIST's stroke for its size
    draw = ImageDraw.Draw(image)
    draw.line([at(0.55, 0), at(0, 0.62), at(1, 0.62)], fill=ink, width=stroke, joint="curve")
    draw.line([at(0.72, 0.25), at(0.72, 1)], fill=ink, width=stroke)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def rejection(data: bytes, max_pixels: int = MAX_PIXELS) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        preprocess(data, max_pixels)
    return caught.value


def assert_same_digit(actual: np.ndarray, expected: np.ndarray, tolerance: float = 0.02) -> None:
    """Two 28x28 inputs show the same digit: mean absolute difference under `tolerance`."""
    assert actual.shape == expected.shape == (28, 28)
    difference = float(np.abs(actual - expected).mean())
    assert difference < tolerance, f"mean |difference| {difference:.4f} >= {tolerance}"


def ink_box(pixels: np.ndarray) -> tuple[int, int]:
    """Height and width of the non-zero pixels' bounding box."""
    rows, cols = np.nonzero(pixels)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(pixels.shape)
    return float((rows * pixels).sum() / pixels.sum()), float((cols * pixels).sum() / pixels.sum())


def reference_four() -> np.ndarray:
    """A black "4" on white, as a PNG, preprocessed: what every other drawing of it must match."""
    return preprocess(encode(draw_four()), MAX_PIXELS)
