"""Grey pixels -> the ink, bright on black, with the paper, its shadows and its noise at 0.

    ink = find_ink(grey)  # (h, w) uint8 grey -> (h, w) uint8 ink, 255 at the strokes' core

The border gives the background, hence the ink's polarity: dark ink on light paper is inverted.
Flattening subtracts what is wide (grey paper, shadows, photographed margins). The strokes' level
comes from Otsu's threshold over the pixels clearly above the paper's noise; pixels fainter than a
share of it are not ink. Levels are read from histograms of whole grey levels over a regular
sample of the pixels: sorting them all for a median would cost more than the rest of the pipeline.
"""

import cv2
import numpy as np

BACKGROUND_GRID = 96  # the background is estimated on a grid at most this many cells a side ...
BACKGROUND_SIZE = 0.25  # ... as what remains after removing features under this share of the side
MIN_CONTRAST = 24.0  # grey levels between ink and background below which there is no ink ...
MIN_SIGNAL = 6.0  # ... or background noise levels (robust standard deviations): noise alone stays below
MIN_INK = 0.1  # a pixel is ink from this share of the strokes' strength (JPEG ringing stays below)
LEVELS = 512  # the flattened image's histogram: one bin a grey level, -256..255
SAMPLE = 20_000  # levels are read from at most this many pixels, on a regular grid


def find_ink(grey: np.ndarray) -> np.ndarray:
    """(h, w) uint8 grey -> (h, w) uint8 ink, bright on black, 255 from the strokes' core level."""
    light = grey if ink_is_light(grey) else cv2.bitwise_not(grey)  # bright ink on dark paper
    flat = cv2.subtract(light, background(light), dtype=cv2.CV_32F)  # (h, w) float32, signed
    counts = cv2.calcHist([sample(flat)], [0], None, [LEVELS], [-LEVELS / 2 - 0.5, LEVELS / 2 - 0.5]).ravel()
    paper, noise, core = ink_levels(counts)  # bins: level + LEVELS / 2
    if core - paper < max(MIN_CONTRAST, MIN_SIGNAL * noise):
        return np.zeros_like(grey)
    floor = max(3 * noise, MIN_INK * (core - paper))  # above the paper, fainter than this is not ink
    above = flat - np.float32(paper - LEVELS / 2)  # (h, w) float32: 0 at the paper's level
    _, inked = cv2.threshold(above, floor, 0, cv2.THRESH_TOZERO)  # the rest at 0
    return cv2.convertScaleAbs(inked, alpha=255 / (core - paper))  # saturates at 255


def ink_is_light(grey: np.ndarray) -> bool:
    """Whether the ink is lighter than the background: the border's median is the background, and
    the ink is whichever way the image departs from it furthest (0.1 and 99.9 percentiles)."""
    ring = max(1, round(0.02 * min(grey.shape)))  # a border band 2 % of the shorter side wide
    border = np.concatenate([grey[:ring], grey[-ring:], grey[:, :ring].T, grey[:, -ring:].T], axis=None)
    middle = percentile(np.bincount(border, minlength=256), 50)
    counts = histogram(sample(grey))
    darkest, brightest = percentile(counts, 0.1), percentile(counts, 99.9)
    return brightest - middle >= middle - darkest


def histogram(pixels: np.ndarray) -> np.ndarray:
    """(h, w) uint8 -> (256,) counts of each level."""
    return cv2.calcHist([pixels], [0], None, [256], [0, 256]).ravel()


def sample(image: np.ndarray) -> np.ndarray:
    """(h, w) -> every k-th pixel of every k-th row, k the least that leaves at most SAMPLE:
    a histogram of the whole image would cost more than its levels are worth."""
    step = int(np.ceil(np.sqrt(image.size / SAMPLE)))
    return image if step == 1 else np.ascontiguousarray(image[::step, ::step])


def percentile(counts: np.ndarray, share: float) -> float:
    """The level below which `share` % of a histogram's pixels lie."""
    cumulative = np.cumsum(counts)
    return float(np.searchsorted(cumulative, share / 100 * cumulative[-1]))


def background(light: np.ndarray) -> np.ndarray:
    """(h, w) uint8, bright ink -> (h, w) uint8, the local background.

    A grey opening (minimum, then maximum) over squares a quarter of the image's longer side
    removes the strokes, which are narrower, and keeps the slowly varying or wide background.
    It runs on a coarse grid of block means and is interpolated back.
    """
    height, width = light.shape
    cell = -(-max(height, width) // BACKGROUND_GRID)
    coarse = block_means(light, cell, cv2.BORDER_REPLICATE)  # averages the noise away
    radius = round(BACKGROUND_SIZE * max(coarse.shape) / 2)
    # Grown by 2 cells more than it shrank: where the background steps (paper on a white
    # margin), the coarse grid errs on the high side, which only hides ink, never adds any.
    level = cv2.dilate(cv2.erode(coarse, square(radius)), square(radius + 2))
    if cell == 1:
        return level
    size = (coarse.shape[1] * cell, coarse.shape[0] * cell)
    return np.ascontiguousarray(cv2.resize(level, size, interpolation=cv2.INTER_LINEAR)[:height, :width])


def block_means(image: np.ndarray, cell: int, border: int) -> np.ndarray:
    """(h, w) -> (ceil(h / cell), ceil(w / cell)): the mean of each cell x cell block, the image
    padded as `border` says. Whole blocks take OpenCV's fast area reduction."""
    if cell == 1:
        return image
    height, width = image.shape
    padded = cv2.copyMakeBorder(image, 0, -height % cell, 0, -width % cell, border, value=0)
    return cv2.resize(padded, None, fx=1 / cell, fy=1 / cell, interpolation=cv2.INTER_AREA)


def square(radius: int) -> np.ndarray:
    return np.ones((2 * radius + 1, 2 * radius + 1), dtype=np.uint8)


def ink_levels(counts: np.ndarray) -> tuple[float, float, float]:
    """A histogram of the flattened image -> the background's level and noise (a robust standard
    deviation), and the strokes' core level (the 90th percentile of Otsu's upper class among the
    levels clearly above the background), as bin indices."""
    paper = percentile(counts, 50)  # the background is most of the image
    spread = np.bincount(np.abs(np.arange(len(counts)) - round(paper)), weights=counts)  # |level - paper|
    noise = 1.4826 * percentile(spread, 50)
    clear = round(paper + 3 * noise) + 1  # the first level clearly not background
    above = counts[clear:]
    if not above.any():
        return paper, noise, paper
    strokes = above.copy()
    strokes[: otsu(above) + 1] = 0  # Otsu's upper class
    return paper, noise, clear + percentile(strokes if strokes.any() else above, 90)


def otsu(counts: np.ndarray) -> int:
    """The index that best splits a histogram into two classes, the upper one above it (Otsu, 1979)."""
    weight = np.cumsum(counts, dtype=np.float64)  # pixels at or below each level
    mass = np.cumsum(counts * np.arange(len(counts)), dtype=np.float64)
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - total * mass) ** 2 / (weight * (total - weight))
    return int(np.argmax(np.nan_to_num(between[:-1]))) if len(counts) > 1 else 0
