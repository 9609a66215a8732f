"""Ink -> the digit alone: ruled lines and form-box edges removed, then specks and smudges apart from it.

digit_ink = clean(ink)  # (h, w) float32 in [0, 1] -> the same, with what is not the digit at 0
"""

import cv2
import numpy as np

from app.preprocess.ink import block_means

CLUTTER_GRID = 64  # components are labelled on a grid at most this many cells a side
MIN_PART = 0.05  # a component lighter than this share of the heaviest one is noise
LINE_COVER = 0.6  # a ruled line or box edge covers this share of its row or column at least ...
LINE_WIDTH = 0.1  # ... is at most this share of the image thick ...
LINE_REACH = 0.05  # ... and runs to within this share of both edges, and past the rest of the ink


def clean(ink: np.ndarray) -> np.ndarray:
    """Remove ruled lines and form-box edges, then specks and smudges apart from the digit."""
    mask = ink > 0  # faint lines count too: printed form boxes are often lighter than the ink
    rows, cols = thin_lines(mask), thin_lines(mask.T)  # (h,), (w,) candidates
    rest = mask & ~rows[:, None] & ~cols[None, :]
    rows &= reaching_past(mask, rows, rest)
    cols &= reaching_past(mask.T, cols, rest.T)
    if rows.any() or cols.any():
        ink = ink.copy()
        ink[rows] = 0
        ink[:, cols] = 0
    return drop_small_parts(ink)


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
    keep = np.zeros_like(lines)
    if not lines.any():
        return keep
    inner = extent(rest.sum(axis=0))
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
    """Keep the connected parts that carry at least MIN_PART of the heaviest part's ink.

    Parts are labelled on a coarse grid of block means, grown by one cell: fast, and it joins a
    stroke broken by a pen that skipped.
    """
    height, width = ink.shape
    cell = -(-max(height, width) // CLUTTER_GRID)
    blocks = block_means(ink.astype(np.float32), cell, cv2.BORDER_CONSTANT)  # > 0 where a block holds ink
    present = cv2.dilate((blocks > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels = cv2.connectedComponents(present, connectivity=8)
    if count <= 2:  # one part, or none
        return ink
    mass = np.bincount(labels.ravel(), weights=blocks.ravel(), minlength=count)
    keep = (mass >= MIN_PART * mass[1:].max()).astype(np.uint8)
    keep[0] = 0
    kept = np.repeat(np.repeat(keep[labels], cell, axis=0), cell, axis=1)[:height, :width]
    return np.where(kept > 0, ink, np.uint8(0))
