"""The paper test set: MNIST *test* digits written large on squared and ruled paper, photographed.

    from training.paper import paper_set
    samples = paper_set()                 # 400 PaperSample, from ../shared/mnist's test set
    samples[0].lined, samples[0].blank    # JPEG bytes: the digit on lined paper, and on blank paper
    samples[0].label, samples[0].kind     # 7, "squared"

Each image is the same digit drawn twice: once over the paper's lines and once on blank paper,
with the same paper, ink, position, lighting, noise and JPEG quality. The pipeline must give
both the same 28x28 input. The generator and every parameter below are fixed here, and were
fixed before the pipeline was tuned on this set: no image gets a rule of its own. Each image's
parameters come from its own seeded generator, so the set is the same on every machine.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from training.mnist import SHARED_MNIST, load_test_set

SEED = 20_240_615  # image i uses np.random.default_rng((SEED, i))
PER_CLASS = 40  # 400 images: 40 test digits of each class, half on squared and half on ruled paper
KINDS = ("squared", "ruled")
SIDE = (360, 640)  # the photo's width and height, each in this range (px)
DIGIT_HEIGHT = (0.45, 0.7)  # the digit's height as a share of the photo's height
SPACING = (0.3, 0.8)  # the lines' spacing as a share of the digit's height
LINE_CONTRAST = (10, 60)  # grey levels the lines are darker than the paper
LINE_WIDTH = (1.0, 3.0)  # px
ANGLE = 5.0  # degrees either way
PAPER = (185, 245)  # the paper's grey level
INK = (10, 80)  # the ink's grey level
LIGHTING = (0.0, 0.3)  # the lighting falls off by up to this share across the photo
NOISE = (1.0, 4.0)  # sensor noise, standard deviation in grey levels
QUALITY = (60, 95)  # JPEG quality


@dataclass(frozen=True)
class PaperSample:
    index: int  # in MNIST's test set
    label: int
    kind: str  # "squared" or "ruled"
    lined: bytes  # JPEG: the digit over the lines
    blank: bytes  # JPEG: the same digit, paper, light and noise, without the lines
    params: dict[str, float]  # what was drawn: spacing, contrast, angle, quality...


def paper_set(mnist_dir: Path = SHARED_MNIST, per_class: int = PER_CLASS) -> list[PaperSample]:
    """The set: per_class test digits of each class, chosen and drawn from SEED."""
    images, labels = (tensor.numpy() for tensor in load_test_set(mnist_dir))
    chosen = np.random.default_rng(SEED)
    indices = [int(i) for digit in range(10) for i in chosen.permutation(np.flatnonzero(labels == digit))[:per_class]]
    return [draw_sample(i, index, images[index], int(labels[index])) for i, index in enumerate(sorted(indices))]


def draw_sample(i: int, index: int, digit: np.ndarray, label: int) -> PaperSample:
    """The i-th image of the set: MNIST test digit `index` on paper of kind KINDS[i % 2]."""
    rng = np.random.default_rng((SEED, i))
    kind = KINDS[i % 2]
    width, height = (int(rng.integers(*SIDE, endpoint=True)) for _ in range(2))
    params = {
        "width": width,
        "height": height,
        "digit_height": rng.uniform(*DIGIT_HEIGHT) * height,
        "paper": rng.uniform(*PAPER),
        "ink": rng.uniform(*INK),
        "lighting": rng.uniform(*LIGHTING),
        "light_angle": rng.uniform(0, 2 * np.pi),
        "noise": rng.uniform(*NOISE),
        "quality": int(rng.integers(*QUALITY, endpoint=True)),
        "spacing_share": rng.uniform(*SPACING),
        "contrast": rng.uniform(*LINE_CONTRAST),
        "line_width": rng.uniform(*LINE_WIDTH),
        "angle": rng.uniform(-ANGLE, ANGLE),
        "offset_x": rng.uniform(0, 1),
        "offset_y": rng.uniform(0, 1),
        "digit_x": rng.uniform(0.3, 0.7),
        "digit_y": rng.uniform(0.4, 0.6),
    }
    ink = ink_cover(digit, params)  # (height, width) in [0, 1]
    lines = line_cover(kind, params)  # (height, width) in [0, 1]
    noise = rng.normal(0, params["noise"], (height, width))
    blank, lined = (photo(ink, cover, params, noise) for cover in (np.zeros_like(lines), lines))
    return PaperSample(index, label, kind, lined, blank, params)


def ink_cover(digit: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """The MNIST digit scaled up to the digit's height, its edges sharpened as a pen's, placed on
    the photo: (height, width) ink coverage in [0, 1]."""
    width, height = int(params["width"]), int(params["height"])
    side = round(params["digit_height"] * 28 / 20)  # MNIST's digit is 20 px tall in its 28
    big = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), np.float64) / 255
    big = np.clip((big - 0.25) / 0.5, 0, 1)  # a pen's sharp edge, not a blurred upscale
    big = big * big * (3 - 2 * big)
    cover = np.zeros((height, width))
    top = round(params["digit_y"] * height - side / 2)
    left = round(params["digit_x"] * width - side / 2)
    rows = slice(max(top, 0), min(top + side, height))
    cols = slice(max(left, 0), min(left + side, width))
    cover[rows, cols] = big[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left]
    return cover


def line_cover(kind: str, params: dict[str, float]) -> np.ndarray:
    """Anti-aliased lines, rotated by the angle: rows (ruled), or rows and columns (squared)."""
    width, height = int(params["width"]), int(params["height"])
    spacing = params["spacing_share"] * params["digit_height"]
    theta = np.radians(params["angle"])
    y, x = np.mgrid[:height, :width].astype(np.float64)
    across = -x * np.sin(theta) + y * np.cos(theta)  # distance along the normal of the rows
    along = x * np.cos(theta) + y * np.sin(theta)  # ... and of the columns
    cover = lines_at(across, spacing, params["offset_y"], params["line_width"])
    if kind == "squared":
        cover = np.maximum(cover, lines_at(along, spacing, params["offset_x"], params["line_width"]))
    return cover


def lines_at(position: np.ndarray, spacing: float, offset: float, width: float) -> np.ndarray:
    """Coverage in [0, 1] of lines `width` px wide every `spacing` px, at `offset` of a spacing."""
    distance = np.abs((position - offset * spacing + spacing / 2) % spacing - spacing / 2)
    return np.clip(width / 2 + 0.5 - distance, 0, 1)


def photo(ink: np.ndarray, lines: np.ndarray, params: dict[str, float], noise: np.ndarray) -> bytes:
    """Paper, lines, ink on top, a lighting gradient and noise -> grey JPEG bytes."""
    height, width = ink.shape
    paper = params["paper"] - params["contrast"] * lines
    grey = paper * (1 - ink) + params["ink"] * ink
    y, x = np.mgrid[:height, :width] / max(height, width)
    angle = params["light_angle"]
    ramp = (np.cos(angle) * x + np.sin(angle) * y) / np.sqrt(2) + 0.5  # 0..1 across the photo
    grey = grey * (1 - params["lighting"] * ramp) + noise
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(params["quality"])
    )
    return buffer.getvalue()
