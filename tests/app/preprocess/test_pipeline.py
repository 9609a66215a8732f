"""app.preprocess's pipeline: any drawing of a digit becomes MNIST's frame (20 px box, centred by
mass), whatever its polarity, colour, paper, lighting or clutter; blank images are refused; and no
input gives anything but a 28x28 array or ImageRejected."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from app.preprocess import ImageRejected, preprocess, to_mnist
from tests.app.preprocess.drawn import (
    MAX_PIXELS,
    assert_same_digit,
    centre_of_mass,
    draw_four,
    encode,
    ink_box,
    reference_four,
    rejection,
)


@pytest.fixture(scope="module")
def four() -> np.ndarray:
    return reference_four()


def mnist_form(four: np.ndarray) -> np.ndarray:
    """The reference "4" as MNIST stores a digit: (28, 28) uint8, light on exactly black."""
    return np.rint(four * 255).astype(np.uint8)


def test_output_is_mnist_shaped(four: np.ndarray) -> None:
    assert four.shape == (28, 28) and four.dtype == np.float32
    assert four.min() >= 0.0 and four.max() == pytest.approx(1.0)
    assert max(ink_box(four)) == 20  # the longer side of the digit's box is 20 px
    row, col = centre_of_mass(four)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5  # mass centred, as MNIST's


def test_an_upload_in_mnist_form_is_used_as_is(four: np.ndarray) -> None:
    digit = mnist_form(four)
    for image in (Image.fromarray(digit, "L"), Image.fromarray(digit, "L").convert("RGB")):
        pixels = preprocess(encode(image), MAX_PIXELS)
        assert pixels.dtype == np.float32
        np.testing.assert_array_equal(pixels, digit.astype(np.float32) / 255)  # bit for bit, as training scales


def test_the_full_pipeline_leaves_an_mnist_like_digit_nearly_unchanged(four: np.ndarray) -> None:
    again = to_mnist(mnist_form(four))
    assert_same_digit(again, four, tolerance=0.005)
    assert np.abs(again - four).max() <= 0.11  # only the faintest edge pixels (< 10 % ink) may change


@pytest.mark.parametrize(
    ("change", "tolerance"),
    [
        pytest.param(lambda d: 255 - d, 0.03, id="dark-on-light"),
        pytest.param(lambda d: np.roll(d, 3, axis=1), 0.03, id="off-centre"),
        pytest.param(lambda d: (d * 0.5).astype(np.uint8), 0.03, id="faint"),
        pytest.param(lambda d: np.maximum(d, 6), 0.03, id="grey-background"),
        pytest.param(  # halved, then scaled back up by the pipeline: blurred twice
            lambda d: np.pad(np.asarray(Image.fromarray(d).resize((14, 14))), 7), 0.06, id="small"
        ),
    ],
)
def test_other_28x28_uploads_give_the_reference_digit(change, tolerance: float, four: np.ndarray) -> None:
    """Not in MNIST's form: the full pipeline runs, and gives back the reference digit."""
    data = encode(Image.fromarray(change(mnist_form(four)), "L"))
    assert_same_digit(preprocess(data, MAX_PIXELS), four, tolerance)


def test_light_on_dark_equals_dark_on_light(four: np.ndarray) -> None:
    inverted = preprocess(encode(draw_four(ink=255, paper=0)), MAX_PIXELS)
    np.testing.assert_allclose(inverted, four, atol=1e-6)


@pytest.mark.parametrize("colour", [(0, 140, 0), (20, 40, 220), (200, 30, 30)], ids=["green", "blue", "red"])
def test_coloured_ink_is_found(colour: tuple[int, int, int], four: np.ndarray) -> None:
    drawing = draw_four(mode="RGB", ink=colour, paper=(255, 255, 255))
    assert_same_digit(preprocess(encode(drawing), MAX_PIXELS), four)


def test_small_digit_on_large_canvas_is_cropped_centred_and_20px(four: np.ndarray) -> None:
    canvas = draw_four(size=(2000, 1500), box=(0.75, 0.1, 0.8, 0.2))  # 150 px tall, top right
    pixels = preprocess(encode(canvas), MAX_PIXELS)
    assert max(ink_box(pixels)) == 20
    row, col = centre_of_mass(pixels)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert_same_digit(pixels, four, tolerance=0.03)


def test_grey_paper_on_white_margins_is_not_ink() -> None:
    paper = draw_four(size=(160, 240), box=(0.2, 0.15, 0.8, 0.85), paper=215)
    photo = Image.new("L", (300, 300), 255)  # a phone photo padded to a square with white
    photo.paste(paper, (70, 30))
    on_white = draw_four(size=(160, 240), box=(0.2, 0.15, 0.8, 0.85))
    assert_same_digit(preprocess(encode(photo), MAX_PIXELS), preprocess(encode(on_white), MAX_PIXELS))


def test_box_edges_and_ruled_lines_are_removed() -> None:
    cell = draw_four(size=(64, 64), box=(0.25, 0.15, 0.75, 0.85))
    expected = preprocess(encode(cell, "JPEG", quality=90), MAX_PIXELS)
    draw = ImageDraw.Draw(cell)
    draw.line([(0, 62), (63, 62)], fill=120, width=2)  # a form box's bottom edge
    draw.line([(1, 0), (1, 63)], fill=120, width=1)  # and its left edge
    assert_same_digit(preprocess(encode(cell, "JPEG", quality=90), MAX_PIXELS), expected)
    ruled = draw_four(size=(300, 300))
    expected = preprocess(encode(ruled), MAX_PIXELS)
    for y in (40, 150, 260):  # lined paper: the middle line crosses the digit
        ImageDraw.Draw(ruled).line([(0, y), (299, y)], fill=150, width=2)
    assert_same_digit(preprocess(encode(ruled), MAX_PIXELS), expected)


def test_lone_stroke_from_edge_to_edge_is_a_one_not_a_line() -> None:
    one = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(one).line([(50, 0), (50, 99)], fill=0, width=4)
    pixels = preprocess(encode(one), MAX_PIXELS)
    assert ink_box(pixels)[0] == 20


@pytest.mark.parametrize("stroke", [20, 40, 60])  # the 1's box fitted 1, 2 and 3 px wide
def test_a_straight_narrow_one_is_read_and_centred(stroke: int) -> None:
    one = Image.new("L", (560, 560), 255)  # the page's canvas size
    ImageDraw.Draw(one).line([(280, 80), (280, 480)], fill=0, width=stroke)
    pixels = preprocess(encode(one), MAX_PIXELS)
    assert ink_box(pixels)[0] == 20
    row, col = centre_of_mass(pixels)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_specks_and_shadows_are_not_ink() -> None:
    clean = np.asarray(draw_four(size=(300, 300)), dtype=np.float64)
    rows, cols = np.indices(clean.shape)
    photo = clean * (1 - 0.3 * np.clip(1 - np.hypot(rows, cols) / 200, 0, 1))  # shadow in the top left corner
    for y, x in [(20, 250), (280, 30), (270, 280)]:
        photo[y : y + 3, x : x + 3] = 60  # dust
    photo += np.random.default_rng(0).normal(0, 4, photo.shape)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "L")
    expected = preprocess(encode(Image.fromarray(clean.astype(np.uint8), "L")), MAX_PIXELS)
    assert_same_digit(preprocess(encode(image, "JPEG", quality=85), MAX_PIXELS), expected)


@pytest.mark.parametrize(
    "image",
    [Image.new("L", (200, 200), 255), Image.new("L", (50, 80), 0), Image.new("RGB", (64, 64), (90, 120, 200))],
    ids=["white", "black", "blue"],
)
def test_rejects_blank_image_with_422(image: Image.Image) -> None:
    error = rejection(encode(image))
    assert error.status_code == 422 and "no ink" in error.detail


@pytest.mark.parametrize("sigma", [2, 12])
def test_rejects_plain_noise_with_422(sigma: float) -> None:
    noise = np.random.default_rng(1).normal(160, sigma, (120, 160))
    assert rejection(encode(Image.fromarray(noise.astype(np.uint8), "L"))).status_code == 422


# --- properties: never anything but a 28x28 input or ImageRejected ----------------------------


def assert_mnist_or_rejected(data: bytes, only: tuple[int, ...] = (400, 413, 415, 422)) -> None:
    try:
        pixels = preprocess(data, max_pixels=1_000_000)
    except ImageRejected as error:
        assert error.status_code in only
        return
    assert pixels.shape == (28, 28) and pixels.dtype == np.float32
    assert np.isfinite(pixels).all() and pixels.min() >= 0.0 and pixels.max() <= 1.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pixels=st.integers(1, 40).flatmap(
        lambda h: st.integers(1, 40).flatmap(
            lambda w: arrays(np.uint8, st.sampled_from([(h, w), (h, w, 3), (h, w, 4)]))
        )
    ),
    fmt=st.sampled_from(["PNG", "BMP", "GIF", "WEBP"]),
)
def test_any_small_image_gives_mnist_input_or_422(pixels: np.ndarray, fmt: str) -> None:
    image = Image.fromarray(pixels)
    if fmt in ("BMP", "GIF") and image.mode == "RGBA":
        image = image.convert("RGB")
    assert_mnist_or_rejected(encode(image, fmt), only=(422,))


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF\0\0\0\0WEBP"]),
    tail=st.binary(max_size=200),
)
def test_any_bytes_give_mnist_input_or_rejected(prefix: bytes, tail: bytes) -> None:
    assert_mnist_or_rejected(prefix + tail)


@settings(max_examples=300, deadline=None)
@given(
    fmt=st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "WEBP"]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8),
)
def test_corrupted_images_give_mnist_input_or_rejected(fmt: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(encode(draw_four(size=(48, 40), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255)), fmt))
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    assert_mnist_or_rejected(bytes(data))
