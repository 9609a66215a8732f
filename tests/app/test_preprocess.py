"""app.preprocess: safe decoding of uploads, and MNIST-style normalisation checked against oracles.

Every fixture image is drawn here, in code. The oracles: the same digit drawn another way
(inverted, transparent, rotated with an EXIF tag, in colour, in another format) must give the
same 28x28 input; an input already in MNIST form must come out unchanged.
"""

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from app.preprocess import (
    ImageRejected,
    decode,
    mnist_as_is,
    open_image,
    prepare,
    preprocess,
    to_mnist,
    to_png_data_url,
)

MAX_PIXELS = 40_000_000
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


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


@pytest.fixture(scope="module")
def four() -> np.ndarray:
    """The reference: a black "4" on white, as a PNG, preprocessed."""
    return preprocess(encode(draw_four()), MAX_PIXELS)


# --- the MNIST form --------------------------------------------------------------------------


def test_output_is_mnist_shaped(four: np.ndarray) -> None:
    assert four.shape == (28, 28) and four.dtype == np.float32
    assert four.min() >= 0.0 and four.max() == pytest.approx(1.0)
    assert max(ink_box(four)) == 20  # the longer side of the digit's box is 20 px
    row, col = centre_of_mass(four)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5  # mass centred, as MNIST's


def test_mnist_like_input_comes_out_unchanged(four: np.ndarray) -> None:
    again = to_mnist(Image.fromarray(np.rint(four * 255).astype(np.uint8), "L"))
    assert_same_digit(again, four, tolerance=0.005)
    assert np.abs(again - four).max() <= 0.11  # only the faintest edge pixels (< 10 % ink) may change


def mnist_form(four: np.ndarray) -> np.ndarray:
    """The reference "4" as MNIST stores a digit: (28, 28) uint8, light on exactly black."""
    return np.rint(four * 255).astype(np.uint8)


def test_an_upload_in_mnist_form_is_used_as_is(four: np.ndarray) -> None:
    digit = mnist_form(four)
    for image in (Image.fromarray(digit, "L"), Image.fromarray(digit, "L").convert("RGB")):
        pixels = preprocess(encode(image), MAX_PIXELS)
        assert pixels.dtype == np.float32
        np.testing.assert_array_equal(pixels, digit.astype(np.float32) / 255)  # bit for bit, as training scales


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
def test_other_28x28_uploads_take_the_full_pipeline(change, tolerance: float, four: np.ndarray) -> None:
    """Not MNIST's form: the full pipeline runs, and gives back the reference digit."""
    data = encode(Image.fromarray(change(mnist_form(four)), "L"))
    assert mnist_as_is(open_image(data, MAX_PIXELS)) is None
    assert_same_digit(preprocess(data, MAX_PIXELS), four, tolerance)


def test_light_on_dark_equals_dark_on_light(four: np.ndarray) -> None:
    inverted = preprocess(encode(draw_four(ink=255, paper=0)), MAX_PIXELS)
    np.testing.assert_allclose(inverted, four, atol=1e-6)


def test_transparent_png_is_composited_on_white(four: np.ndarray) -> None:
    # Transparent *black* background, as a canvas export: read without compositing it is all ink.
    canvas = draw_four(mode="RGBA", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0))
    assert_same_digit(preprocess(encode(canvas), MAX_PIXELS), four)


def test_palette_transparency_is_composited_on_white(four: np.ndarray) -> None:
    palette = draw_four(mode="P", ink=1, paper=0)
    palette.putpalette([0, 0, 0, 0, 0, 0])  # both entries black; entry 0 is transparent
    for fmt in ("PNG", "GIF"):
        assert_same_digit(preprocess(encode(palette, fmt, transparency=0), MAX_PIXELS), four)


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


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_exif_orientation_is_applied(orientation: int) -> None:
    upright = draw_four(size=(240, 180), mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    expected = preprocess(encode(upright, "JPEG", quality=95), MAX_PIXELS)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.transpose(STORED_AS[orientation])
    assert_same_digit(preprocess(encode(stored, "JPEG", quality=95, exif=exif), MAX_PIXELS), expected)
    untagged = preprocess(encode(stored, "JPEG", quality=95), MAX_PIXELS)
    assert np.abs(untagged - expected).mean() > 0.05  # the oracle can tell orientations apart


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_a_28x28_upload_turned_by_exif_is_prepared_as_if_fresh(orientation: int) -> None:
    """The route tries mnist_as_is, then prepare, on the same opened image; decode applies the EXIF
    orientation in place, and must not apply it twice."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(draw_four(size=(28, 28)).transpose(STORED_AS[orientation]), "PNG", exif=exif)
    image = open_image(data, MAX_PIXELS)
    assert mnist_as_is(image) is None  # dark on white: not MNIST's form
    np.testing.assert_array_equal(prepare(image), prepare(open_image(data, MAX_PIXELS)))


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


# --- decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("JPEG", {"quality": 90}), ("GIF", {}), ("BMP", {}), ("WEBP", {"lossless": True})],
)
def test_each_format_is_accepted(fmt: str, options: dict, four: np.ndarray) -> None:
    drawing = draw_four(mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    assert_same_digit(preprocess(encode(drawing, fmt, **options), MAX_PIXELS), four)


def test_animated_gif_uses_its_first_frame(four: np.ndarray) -> None:
    seven = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(seven).line([(60, 40), (140, 40), (80, 160)], fill=0, width=14)
    animation = encode(draw_four(), "GIF", save_all=True, append_images=[seven], duration=100, loop=0)
    assert_same_digit(preprocess(animation, MAX_PIXELS), four)


def test_16_bit_png_is_scaled_not_clipped(four: np.ndarray) -> None:
    deep = np.asarray(draw_four(), dtype=np.uint16) * 257  # 0..65535
    image = decode(open_image(encode(Image.fromarray(deep)), MAX_PIXELS))  # mode "I;16": a 16-bit greyscale PNG
    assert image.mode == "L"
    np.testing.assert_array_equal(np.asarray(image), np.asarray(draw_four()))
    assert_same_digit(to_mnist(image), four)


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


def test_rejects_truncated_png_with_400() -> None:
    data = encode(draw_four())
    assert rejection(data[: len(data) // 2]).status_code == 400


@pytest.mark.parametrize(
    "signature", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\0\0\0\0WEBP"]
)
def test_rejects_corrupt_data_behind_a_valid_signature_with_400(signature: bytes) -> None:
    assert rejection(signature + bytes(range(256)) * 4).status_code == 400


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height (8-bit greyscale) and holds one row of compressed zeros."""
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


def test_image_rejected_carries_status_and_detail() -> None:
    error = ImageRejected(415, "not an image")
    assert isinstance(error, ValueError)
    assert (error.status_code, error.detail, str(error)) == (415, "not an image", "not an image")


def test_preview_is_a_png_data_url_of_the_input(four: np.ndarray) -> None:
    url = to_png_data_url(four)
    assert url.startswith("data:image/png;base64,")
    import base64

    preview = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert (preview.format, preview.mode, preview.size) == ("PNG", "L", (28, 28))
    np.testing.assert_allclose(np.asarray(preview) / 255, four, atol=1 / 255)


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


# --- real data, where ../shared has it ---------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_pngs() -> tuple[np.ndarray, list[bytes], np.ndarray]:
    """The first 1,000 MNIST test images: raw (uint8), as PNG files, and their labels."""
    from training.mnist import load_test_set

    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"no MNIST in {SHARED / 'mnist'}")
    images, labels = (tensor[:1000].numpy() for tensor in load_test_set(SHARED / "mnist"))
    return images, [encode(Image.fromarray(image)) for image in images], labels


def test_every_mnist_digit_is_used_as_is(mnist_pngs) -> None:
    """MNIST's own digits are in MNIST's form: the service feeds them to the models unchanged."""
    images, pngs, _ = mnist_pngs
    through = np.stack([preprocess(png, MAX_PIXELS) for png in pngs])
    np.testing.assert_array_equal(through, images.astype(np.float32) / 255)


@pytest.fixture(scope="module")
def mnist_through_pipeline(mnist_pngs) -> np.ndarray:
    """The same 1,000 digits through the full pipeline, as if they were not in MNIST's form."""
    _, pngs, _ = mnist_pngs
    return np.stack([prepare(open_image(png, MAX_PIXELS)) for png in pngs])


def test_the_full_pipeline_leaves_mnist_digits_nearly_unchanged(mnist_pngs, mnist_through_pipeline) -> None:
    images, _, _ = mnist_pngs
    assert float(np.abs(mnist_through_pipeline - images / 255).mean()) < 0.01


@pytest.mark.slow
def test_best_model_is_as_accurate_through_the_pipeline_as_on_tensors(
    mnist_pngs, mnist_through_pipeline, models_dir: Path
) -> None:
    """Over 1,000 MNIST test images put through the full pipeline, within 0.3 points of the raw-tensor accuracy."""
    from app.predict import digit_probabilities
    from training.checkpoint import checkpoint_dirs, load_checkpoint, read_card

    images, _, labels = mnist_pngs
    digits = [d for d in checkpoint_dirs(models_dir) if read_card(d)["task"] == "digits"]
    best = max(digits, key=lambda d: read_card(d)["metrics"]["test_accuracy"])
    model, _ = load_checkpoint(best)
    on_tensors = (digit_probabilities(model, images.astype(np.float32) / 255).argmax(1) == labels).mean()
    through = (digit_probabilities(model, mnist_through_pipeline).argmax(1) == labels).mean()
    assert abs(through - on_tensors) * 100 <= 0.3, f"{best.name}: {through:.2%} through it, {on_tensors:.2%} raw"


@pytest.mark.slow
def test_real_digits_meet_the_bar(models_dir: Path) -> None:
    """Issue 4: the best digit model right on >= 98 % of the real digits, every model on >= 93 %."""
    from scripts.real_digits import OVERALL, accuracy_table, predict_in_process, read_manifest

    if not (SHARED / "real-digits" / "manifest.csv").is_file():
        pytest.skip(f"no real digits in {SHARED / 'real-digits'}")
    samples = read_manifest(SHARED / "real-digits")
    predictions, rejected = predict_in_process(samples, models_dir)
    table = accuracy_table(samples, predictions)
    models = {name: row[OVERALL] for name, row in table.items() if name != "ensemble"}
    assert not rejected
    assert max(models.values()) >= 98.0, table
    assert min(models.values()) >= 93.0, table
