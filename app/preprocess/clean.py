"""Ink -> the digit alone: paper's lines and form-box edges removed, then specks and smudges apart from it.

    digit_ink = clean(ink)  # (h, w) uint8 ink, bright on black -> the same, what is not the digit at 0
"""

import cv2
import numpy as np

from app.preprocess.ink import block_means
from app.preprocess.lines import reaches_edges, remove_lines

CLUTTER_GRID = 64  # components are labelled on a grid at most this many cells a side
MIN_PART = 0.05  # a component lighter than this share of the heaviest one is noise
STRONG = 128  # a part of the digit reaches at least this ink level (of 255, the strokes' core) somewhere


def clean(ink: np.ndarray) -> np.ndarray:
    """Remove ruled and squared paper's lines and form-box edges and what is left of them, then
    specks and smudges apart from the digit."""
    if reaches_edges(ink):  # lines run from edge to edge: without ink at the edges, there are none
        ink = drop_faint_parts(remove_lines(ink))
    return drop_small_parts(ink)


def drop_faint_parts(ink: np.ndarray) -> np.ndarray:
    """Keep the 8-connected parts that reach STRONG somewhere: a faint line breaks into dashes
    too short to be found as a line, none of them as bright as a stroke's core."""
    count, labels = cv2.connectedComponents((ink > 0).astype(np.uint8), connectivity=8)
    if count <= 2:
        return ink
    strong = np.zeros(count, dtype=bool)
    strong[labels[ink >= STRONG]] = True
    strong[0] = False
    return np.where(strong[labels], ink, np.uint8(0))


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
