"""Uploaded image bytes -> the 28x28 input a digit model expects, made the way MNIST was made.

    from app.preprocess import ImageRejected, preprocess, to_png_data_url
    try:
        pixels = preprocess(upload_bytes, max_pixels=40_000_000)  # (28, 28) float32 in [0, 1]
    except ImageRejected as error:
        ...  # error.status_code (400, 413, 415 or 422) and error.detail go back to the client
    preview = to_png_data_url(pixels)  # "data:image/png;base64,..."

    image = open_image(upload_bytes, max_pixels)   # the same in steps: the header, checked ...
    pixels = mnist_as_is(image)                    # ... an image already in MNIST's form, or None ...
    if pixels is None:
        pixels = prepare(image)                    # ... and then the full pipeline

`open_image` reads the header safely: the format sniffed from the bytes, the size checked
before decoding. `decode` applies the EXIF orientation, composites transparency onto white
and gives 8-bit grey. An upload already in MNIST's form passes through unchanged (`mnist_as_is`).
Any other goes through `to_mnist`, which follows DESIGN.md: the background from the border
(dark ink on light paper is inverted), flattened where it varies (shadows, grey paper on white
margins); noise below a floor, ruled lines and form-box edges, and specks removed; a crop to the
ink, its longer side scaled to 20 px (strokes far thinner than MNIST's thickened); the centre of
mass put at the centre of 28x28. Pure functions; no state."""

import base64
import contextlib
import io
from typing import cast

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = "PNG, JPEG, GIF, BMP, WebP"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIGNATURES = {PNG_SIGNATURE: "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP"}
MNIST_SIZE = 28
DIGIT_BOX = 20  # MNIST fits each digit's longer side to 20 px ...
MNIST_CENTRE = 14.0  # ... and puts its centre of mass on pixel 14 (row and column)
# (3, 784): a 28x28 image's pixels (row by row) times this are its mass and its moments about row 0 and column 0
MOMENTS = np.stack([np.ones(MNIST_SIZE**2), *np.divmod(np.arange(MNIST_SIZE**2), MNIST_SIZE)])  # float64
NEAR_WHITE = 250  # every MNIST digit's brightest pixel is at least this grey level
WORK_SIDE = 1024  # larger images are reduced first: a digit needs far fewer pixels than that
BACKGROUND_GRID = 96  # the background is estimated on a grid at most this many cells a side ...
BACKGROUND_SIZE = 0.25  # ... as what remains after removing features under this share of the side
MIN_CONTRAST = 24.0  # grey levels between ink and background below which there is no ink ...
MIN_SIGNAL = 6.0  # ... or background noise levels (robust standard deviations): noise alone stays below
MIN_INK = 0.1  # a pixel is ink from this share of the strokes' strength (JPEG ringing stays below)
CLUTTER_GRID = 64  # components are labelled on a grid at most this many cells a side
MIN_PART = 0.05  # a component lighter than this share of the heaviest one is noise
LINE_COVER = 0.6  # a ruled line or box edge covers this share of its row or column at least ...
LINE_WIDTH = 0.1  # ... is at most this share of the image thick ...
LINE_REACH = 0.05  # ... and runs to within this share of both edges, and past the rest of the ink
MNIST_STROKE = 1.8  # median stroke width of MNIST digits in px (2 * area / perimeter, at 28x28) ...
THIN_STROKE = 1.2  # ... and its 5th percentile: thinner strokes are thickened to the median


class ImageRejected(ValueError):
    """An upload the service refuses; status_code is the HTTP status, detail says what was wrong."""

    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def sniff_format(data: bytes) -> str | None:
    """The image format that the first bytes announce (PIL's name for it), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Read an upload's header (not its pixels) and check its size, or raise ImageRejected."""
    kind = sniff_format(data)
    if kind is None:
        raise ImageRejected(415, f"not an image this service reads; allowed: {FORMATS}")
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # the warning, if made an error
        raise ImageRejected(413, f"image has too many pixels; the limit is {max_pixels:,}") from error
    except UnidentifiedImageError as error:  # its message names a BytesIO object: no use to the client
        raise ImageRejected(400, f"cannot read the {kind} header: it is malformed, truncated or zero-sized") from error
    except Exception as error:  # PIL raises many types on malformed headers
        raise ImageRejected(400, f"cannot read the {kind} header: {error}") from error
    width, height = image.size
    if width * height == 0:
        raise ImageRejected(400, f"image is {width}x{height}: it has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(413, f"image is {width}x{height} pixels; the limit is {max_pixels:,} pixels")
    return image


def decode(image: Image.Image) -> Image.Image:
    """An opened upload -> upright 8-bit grayscale ("L"), or ImageRejected (400) for corrupt data."""
    try:
        image.load()  # decodes the first frame of an animation
        return to_grayscale(upright(image))
    except Exception as error:  # truncated or corrupt data: PIL raises OSError, SyntaxError, ValueError...
        raise ImageRejected(400, f"cannot decode the {image.format} image: {error}") from error


def upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, in place (a copy would cost microseconds for nothing: the caller
    owns the image); a malformed EXIF block is ignored rather than fatal."""
    with contextlib.suppress(Exception):  # the pixels are fine even when the orientation tag is not
        ImageOps.exif_transpose(image, in_place=True)
    return image


def to_grayscale(image: Image.Image) -> Image.Image:
    """Any decoded mode -> "L": 16-bit scaled (not clipped), transparency composited onto white."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B"):  # 16-bit PNG: 0..65535
        levels = np.asarray(image, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.rint(levels), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image.convert("RGBA")).convert("L")
    return image if image.mode == "L" else image.convert("L")  # RGB, CMYK, P, 1


def preprocess(data: bytes, max_pixels: int) -> np.ndarray:
    """Upload bytes -> (28, 28) float32 in [0, 1], bright digit on black."""
    image = open_image(data, max_pixels)
    pixels = mnist_as_is(image)
    return pixels if pixels is not None else prepare(image)


def prepare(image: Image.Image) -> np.ndarray:
    """An opened upload -> (28, 28) float32 in [0, 1] by the full pipeline."""
    return to_mnist(decode(image))


def mnist_as_is(image: Image.Image) -> np.ndarray | None:
    """An opened upload already in MNIST's form -> its pixels / 255, unchanged; None for any other
    image (mnist_form says what the form is)."""
    if image.size != (MNIST_SIZE, MNIST_SIZE):
        return None
    return mnist_form(decode(image))


def mnist_form(grey: Image.Image) -> np.ndarray | None:
    """A 28x28 8-bit grey image already in MNIST's form -> float32 pixels / 255, unchanged; None otherwise.

    MNIST's form, which every MNIST test digit has: ink on an exactly black background, the ink's
    box 19 or 20 px on its longer side, its brightest pixel near white, and its centre of mass
    within half a pixel of (14, 14). `to_mnist` would give such a digit back essentially unchanged
    (DESIGN.md asks for that), only resampled, at about 12 times the cost. Few calls, each over the
    whole image (PIL's box and extrema, one product for the moments): a call into numpy or PIL
    costs 0.5-2.5 µs on an array this small, whatever it computes, and more inside the service.
    """
    box = grey.getbbox()  # the non-zero pixels' (left, top, right, bottom), right and bottom exclusive
    if box is None or cast(int, grey.getextrema()[1]) < NEAR_WHITE:  # (darkest, brightest) of a one-band image
        return None
    if max(box[2] - box[0], box[3] - box[1]) not in (DIGIT_BOX - 1, DIGIT_BOX):
        return None
    levels = np.frombuffer(grey.tobytes(), dtype=np.uint8)  # (784,), row by row
    mass, row_moment, col_moment = (MOMENTS @ levels).tolist()  # integers, exact in float64
    if max(abs(row_moment / mass - MNIST_CENTRE), abs(col_moment / mass - MNIST_CENTRE)) > 0.5:
        return None
    pixels: np.ndarray = (levels / np.float32(255)).reshape(MNIST_SIZE, MNIST_SIZE)  # as training scales MNIST
    return pixels


def to_png_data_url(pixels: np.ndarray) -> str:
    """A (h, w) array in [0, 1] as an 8-bit grey PNG data URL: the `preview` of what the model saw."""
    grey = np.rint(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_mnist(image: Image.Image) -> np.ndarray:
    """A grayscale image -> (28, 28) float32 in [0, 1], as MNIST was made (DESIGN.md, steps 2-5)."""
    gray = working_copy(image)  # (h, w) float32 grey levels 0..255
    ink = clean(find_ink(gray))  # (h, w) in [0, 1], bright ink on black
    rows, cols = np.nonzero(ink)
    if rows.size == 0:
        raise ImageRejected(422, "no ink found: the image looks blank or uniform")
    digit = fit_box(ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])
    return paste_centred(digit)


def working_copy(image: Image.Image) -> np.ndarray:
    """Grey levels as float32, reduced (area average) so that the longer side is at most WORK_SIDE."""
    gray = image if image.mode == "L" else to_grayscale(image)
    factor = -(-max(gray.size) // WORK_SIDE)
    if factor > 1:
        gray = gray.reduce(factor)
    return np.asarray(gray, dtype=np.float32)


def find_ink(gray: np.ndarray) -> np.ndarray:
    """Grey levels -> ink in [0, 1], bright on black, with the background and its noise at 0.

    The border gives the background, hence which way the ink departs from it: dark ink on light
    paper is inverted. Flattening then removes what is wide (grey paper, shadows).
    """
    ring = max(1, round(0.02 * min(gray.shape)))  # a border band 2 % of the shorter side wide
    border = np.concatenate([gray[:ring], gray[-ring:], gray[:, :ring].T, gray[:, -ring:].T], axis=None)
    light = gray - float(np.median(border))  # (h, w) signed: light ink positive
    darkest, brightest = np.percentile(light, [0.1, 99.9])
    flat = flatten(-light if -darkest > brightest else light)
    paper, noise, core = ink_levels(flat)
    if core - paper < max(MIN_CONTRAST, MIN_SIGNAL * noise):
        return np.zeros_like(flat)
    floor = max(paper + 3 * noise, paper + MIN_INK * (core - paper))  # fainter than this is not ink
    return np.where(flat > floor, np.clip((flat - paper) / (core - paper), 0.0, 1.0), 0.0)


def flatten(ink: np.ndarray) -> np.ndarray:
    """Subtract the local background: shadows, and grey paper photographed on white margins.

    A grey opening (minimum, then maximum) over squares a quarter of the image's longer side
    removes the strokes, which are narrower, and keeps the slowly varying or wide background.
    It runs on a coarse grid (block means) and is interpolated back.
    """
    height, width = ink.shape
    cell = -(-max(height, width) // BACKGROUND_GRID)
    grid_h, grid_w = -(-height // cell), -(-width // cell)
    padded = np.pad(ink, ((0, grid_h * cell - height), (0, grid_w * cell - width)), mode="edge")
    coarse = padded.reshape(grid_h, cell, grid_w, cell).mean(axis=(1, 3))  # averages the noise away
    radius = round(BACKGROUND_SIZE * max(grid_h, grid_w) / 2)
    # Grown by 2 cells more than it shrank: where the background steps (paper on a white
    # margin), the coarse grid errs on the high side, which only hides ink, never adds any.
    background = dilate(-dilate(-coarse, radius), radius + 2)
    if cell > 1:
        smooth = Image.fromarray(background.astype(np.float32), "F").resize((grid_w * cell, grid_h * cell))
        background = np.asarray(smooth)[:height, :width]
    flat: np.ndarray = ink - background
    return flat


def ink_levels(flat: np.ndarray) -> tuple[float, float, float]:
    """Flattened signed ink -> the background's level and noise, and the strokes' core level."""
    paper, noise = median_spread(flat)  # the background is most of the image
    candidates = flat[flat > paper + 3 * noise]  # clearly not background
    if candidates.size == 0:
        return paper, noise, paper
    strokes = candidates[candidates > otsu_threshold(candidates)]  # Otsu's upper class
    return paper, noise, float(np.percentile(strokes if strokes.size else candidates, 90))


def median_spread(values: np.ndarray) -> tuple[float, float]:
    """Median and a robust standard deviation (1.4826 x the median absolute deviation)."""
    median = float(np.median(values))
    return median, 1.4826 * float(np.median(np.abs(values - median)))


def otsu_threshold(values: np.ndarray) -> float:
    """The grey level (0..255) that best splits values into two classes (Otsu, 1979)."""
    counts = np.bincount(np.clip(values, 0, 255).astype(np.uint8), minlength=256).astype(np.float64)
    weight = np.cumsum(counts)  # pixels at or below each level
    mass = np.cumsum(counts * np.arange(256))
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - total * mass) ** 2 / (weight * (total - weight))
    return float(np.argmax(np.nan_to_num(between[:-1])))


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow a (h, w) boolean or grey image by a (2 radius + 1)-square maximum, rows then columns."""
    return grow_rows(grow_rows(mask, radius).T, radius).T


def grow_rows(image: np.ndarray, radius: int) -> np.ndarray:
    """Each row -> the maximum of the rows within `radius` of it (the window clipped at the edges,
    which is what padding with the edge rows gives), by shifted maxima: no padded copies."""
    grown = image.copy()
    for shift in range(1, min(radius, len(image) - 1) + 1):
        np.maximum(grown[shift:], image[:-shift], out=grown[shift:])
        np.maximum(grown[:-shift], image[shift:], out=grown[:-shift])
    return grown


def clean(ink: np.ndarray) -> np.ndarray:
    """Remove ruled lines and form-box edges, then specks and smudges apart from the digit."""
    mask = ink > 0  # faint lines count too: printed form boxes are often lighter than the ink
    rows, cols = thin_lines(mask), thin_lines(mask.T)  # (h,), (w,) candidates
    rest = mask & ~rows[:, None] & ~cols[None, :]
    rows &= reaching_past(mask, rows, rest)
    cols &= reaching_past(mask.T, cols, rest.T)
    return drop_small_parts(np.where(rows[:, None] | cols[None, :], 0.0, ink))


def thin_lines(mask: np.ndarray) -> np.ndarray:
    """(h, w) ink mask -> (h,) rows in thin bands that ink covers for most of their length."""
    height = mask.shape[0]
    tilted = mask.copy()  # a line skewed by a pixel or two still fills its row
    tilted[1:] |= mask[:-1]
    tilted[:-1] |= mask[1:]
    lines = np.zeros(height, dtype=bool)
    for top, stop in bands(tilted.mean(axis=1) >= LINE_COVER):
        if stop - top <= max(2, LINE_WIDTH * height):  # thicker is a stroke of the digit
            lines[max(top - 1, 0) : stop + 1] = True  # with its anti-aliased edges
    return lines


def reaching_past(mask: np.ndarray, lines: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(h,) line rows -> those whose line runs to both edges and past the rest of the ink at both
    ends, as ruled paper and form-box edges do; a digit's own bar does not. With no other ink,
    the line is the digit (a "1")."""
    width = mask.shape[1]
    reach = LINE_REACH * width
    inner = extent(rest.sum(axis=0))
    keep = np.zeros_like(lines)
    for top, stop in bands(lines):
        first, last = extent(mask[top:stop].sum(axis=0)) or (width, 0)
        edge_to_edge = first <= reach and last >= width - 1 - reach
        past_rest = inner is not None and first < inner[0] - reach and last > inner[1] + reach
        keep[top:stop] = edge_to_edge and past_rest
    return keep


def bands(flags: np.ndarray) -> list[tuple[int, int]]:
    """(n,) booleans -> (start, stop) of each run of True."""
    edges = np.diff(flags.astype(np.int8), prepend=0, append=0)
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def extent(mass: np.ndarray) -> tuple[int, int] | None:
    """The first and last index holding ink in a (n,) profile, ignoring the outer 1 % of its mass."""
    total = float(mass.sum())
    if total <= 0:
        return None
    cumulative = np.cumsum(mass) / total
    return int(np.searchsorted(cumulative, 0.01)), int(np.searchsorted(cumulative, 0.99))


def drop_small_parts(ink: np.ndarray) -> np.ndarray:
    """Keep the connected parts that carry at least MIN_PART of the heaviest part's ink."""
    height, width = ink.shape
    cell = -(-max(height, width) // CLUTTER_GRID)  # labelled on a coarse grid: fast, joins broken strokes
    grid_h, grid_w = -(-height // cell), -(-width // cell)
    padded = np.zeros((grid_h * cell, grid_w * cell), dtype=ink.dtype)
    padded[:height, :width] = ink
    blocks = padded.reshape(grid_h, cell, grid_w, cell)
    labels = label_components(dilate(blocks.max(axis=(1, 3)) > 0, 1))  # (grid_h, grid_w)
    mass = np.bincount(labels.ravel(), weights=blocks.sum(axis=(1, 3)).ravel())
    keep = mass >= MIN_PART * mass[1:].max(initial=0.0)
    keep[0] = False
    kept = np.repeat(np.repeat(keep[labels], cell, axis=0), cell, axis=1)[:height, :width]
    return np.where(kept, ink, 0.0)


def label_components(mask: np.ndarray) -> np.ndarray:
    """8-connected components of a small (h, w) boolean grid -> (h, w) labels, 0 for background.

    Each component is labelled 1 + the flat index of its first cell. Labels spread to neighbours
    (the smallest wins) and jump: a label names a cell of the same component, whose own label is
    no larger, so taking it skips along the component (log-many rounds rather than its length).
    """
    height, width = mask.shape
    none = height * width + 1
    labels = np.where(mask, np.arange(1, none).reshape(height, width), none)
    padded = np.full((height + 2, width + 2), none)
    while True:
        padded[1:-1, 1:-1] = labels
        rows = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])  # (h, w + 2): 3 rows' minimum
        spread = np.where(mask, np.minimum(np.minimum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:]), none)
        for _ in range(2):  # background cells name index h * w: `none` again
            spread = np.append(spread.ravel(), none)[spread - 1]
        if np.array_equal(spread, labels):
            return np.where(mask, labels, 0)
        labels = spread


def fit_box(crop: np.ndarray) -> np.ndarray:
    """The ink's bounding box (h, w) -> longer side 20 px, aspect kept, strokes about as wide as MNIST's."""
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL order: (width, height)
    stroke = stroke_width(crop) * scale  # px at the 20 px scale
    if stroke >= THIN_STROKE:
        digit = resize(crop, size)
    else:
        fine = resize(crop, (4 * size[0], 4 * size[1]))  # thicken at 4x the final resolution
        digit = resize(dilate(fine, max(1, round((MNIST_STROKE - stroke) * 2))), size)
    core = float(np.percentile(digit[digit > 0], 90)) if digit.any() else 1.0
    return np.clip(digit / core, 0.0, 1.0)  # MNIST's strokes are saturated in their core


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in px: twice the area over the perimeter of the ink at half strength."""
    mask = np.pad(ink >= 0.5, 1)
    perimeter = int(np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1]))
    return 2.0 * int(np.count_nonzero(mask)) / max(perimeter, 1)


def resize(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to PIL size (width, height)."""
    if ink.shape == (size[1], size[0]):
        return ink
    image = Image.fromarray(ink.astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)


def paste_centred(digit: np.ndarray) -> np.ndarray:
    """(h, w) digit, both <= 20 -> (28, 28) with its centre of mass on pixel (14, 14)."""
    height, width = digit.shape
    mass = float(digit.sum())
    if mass <= 0:
        raise ImageRejected(422, "no ink found: the image looks blank or uniform")
    row = float(digit.sum(axis=1) @ np.arange(height)) / mass
    col = float(digit.sum(axis=0) @ np.arange(width)) / mass
    top = min(max(round(MNIST_CENTRE - row), 0), MNIST_SIZE - height)
    left = min(max(round(MNIST_CENTRE - col), 0), MNIST_SIZE - width)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = digit
    return canvas
