"""Ink -> the same without ruled or squared paper's lines and form-box edges, strokes that cross
them kept.

    ink = remove_lines(ink)  # (h, w) uint8 ink, bright on black -> the same, lines at 0

A line runs from edge to edge, nearly straight along the rows or the columns, thin, and past the
rest of the ink at both ends (a digit's own bar does not; a lone stroke from edge to edge is a
"1"). The paper's tilt (within MAX_TILT) comes from a Hough transform limited to near-axis angles;
the ink is turned upright by it, each row and column is measured as a whole there, and the line
pixels found are turned back. On a line's band only the pixels no brighter than the line are
erased: a stroke that crosses it is brighter, and stays. An image without ink near two opposite
edges has no line, and costs nothing more.
"""

import cv2
import numpy as np

LINE_COVER = 0.6  # a line covers this share of its row or column at least ...
LINE_WIDTH = 0.1  # ... is at most this share of the image thick ...
LINE_REACH = 0.05  # ... and runs to within this share of both edges, and past the rest of the ink
MAX_TILT = 6.0  # degrees: paper photographed turned by up to this much
TILT_STEP = 0.25  # degrees: the Hough transform's angular resolution
STRAIGHT = 0.2  # degrees: a smaller tilt is not corrected
TURN_BACK = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
FAINT_LINE = 128  # a line at most this bright (of 255, the strokes' core) is paper's, not ink


def remove_lines(ink: np.ndarray) -> np.ndarray:
    """(h, w) uint8 ink -> the same with the lines' pixels at 0."""
    tilt = paper_tilt(ink)
    if abs(tilt) < STRAIGHT:
        limit = line_limits(ink, np.ones(ink.shape, dtype=bool))
    else:
        height, width = ink.shape
        turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), tilt, 1.0)  # lines upright
        upright = cv2.warpAffine(ink, turn, (width, height), flags=cv2.INTER_NEAREST)
        inside = cv2.warpAffine(np.ones_like(ink), turn, (width, height), flags=cv2.INTER_NEAREST) > 0
        back = cv2.warpAffine(line_limits(upright, inside), turn, (width, height), flags=TURN_BACK)
        limit = cv2.dilate(back, np.ones((3, 3), np.uint8))  # a nearest-neighbour turn leaves gaps
    erase = (ink <= limit) & (limit > 0)
    if not erase.any():
        return ink
    cleaned = ink.copy()
    cleaned[erase] = 0
    return cleaned


def reaches_edges(ink: np.ndarray) -> bool:
    """Ink within LINE_REACH of the left and right edges, or of the top and bottom ones."""
    height, width = ink.shape
    band_w, band_h = max(1, round(LINE_REACH * width)), max(1, round(LINE_REACH * height))
    across = bool(ink[:, :band_w].any() and ink[:, -band_w:].any())
    down = bool(ink[:band_h].any() and ink[-band_h:].any())
    return across or down


def paper_tilt(ink: np.ndarray) -> float:
    """Degrees to turn the image (counter-clockwise) to make its longest near-axis line straight;
    0 when no straight run covers LINE_COVER of the image's shorter side."""
    mask = (ink > 0).astype(np.uint8)
    votes = round(LINE_COVER * min(ink.shape))
    step, tilt = np.radians(TILT_STEP), np.radians(MAX_TILT)
    best = (0, 0.0)  # (votes, degrees)
    for low, high, axis in ((np.pi / 2 - tilt, np.pi / 2 + tilt, 90.0), (0.0, tilt, 0.0), (np.pi - tilt, np.pi, 180.0)):
        found = cv2.HoughLinesWithAccumulator(mask, 1, step, votes, min_theta=low, max_theta=high)
        found = None if found is None else found.reshape(-1, 3)  # (lines, 3): rho, theta, votes
        if found is not None and len(found) and found[0, 2] > best[0]:  # sorted by votes, most first
            best = (int(found[0, 2]), float(np.degrees(found[0, 1])) - axis)
    return best[1]


def line_limits(ink: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(h, w) upright ink and the part of the frame the photo covers -> (h, w) uint8: on each
    line's band, the brightest level that is still the line (0 off the lines)."""
    mask = ink > 0
    rows, cols = thin_lines(mask, inside), thin_lines(mask.T, inside.T)  # (h,), (w,) candidates
    rest = mask & ~rows[:, None] & ~cols[None, :]
    inner_cols, inner_rows = extent(rest.sum(axis=0)), extent(rest.sum(axis=1))
    limit = np.zeros_like(ink)
    for top, stop in bands(rows):
        limit[top:stop] = band_limit(ink[top:stop], inside[top:stop], inner_cols)
    for left, stop in bands(cols):
        across = band_limit(ink[:, left:stop].T, inside[:, left:stop].T, inner_rows)
        limit[:, left:stop] = np.maximum(limit[:, left:stop], across)
    return limit


def thin_lines(mask: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """(h, w) ink mask -> (h,) rows in thin bands that ink covers for most of their length."""
    height = mask.shape[0]
    tilted = mask.copy()  # a line still skewed by a pixel still fills its row
    tilted[1:] |= mask[:-1]
    tilted[:-1] |= mask[1:]
    cover = tilted.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    lines = np.zeros(height, dtype=bool)
    for top, stop in bands(cover >= LINE_COVER):
        if stop - top <= max(2, LINE_WIDTH * height):  # thicker is a stroke of the digit
            lines[max(top - 1, 0) : stop + 1] = True  # with its anti-aliased edges
    return lines


def band_limit(band: np.ndarray, inside: np.ndarray, inner: tuple[int, int] | None) -> int:
    """A candidate line's band of uint8 ink (rows across it), the part of it the photo covers, and
    the extent along it of the rest of the ink -> the brightest level that is still the line, or
    0 if the band is not a line.

    A line runs to both edges of the photo, and past the rest of the ink at both ends or fainter
    than a stroke (paper's lines are fainter than the ink; a digit touching the edge hides a line's
    end). A lone stroke from edge to edge, as bright as the ink, is the digit: a "1". The line's own
    level is the median of its inked pixels beyond the rest of the ink; the limit is halfway from
    there to the strokes' core, 255, which a crossing stroke reaches.
    """
    width = band.shape[1]
    reach = LINE_REACH * width
    first, last = extent((band > 0).sum(axis=0)) or (width, 0)
    start, end = extent(inside.sum(axis=0)) or (0, width - 1)
    if first > start + reach or last < end - reach:
        return 0
    outside = band if inner is None else np.concatenate([band[:, : inner[0]], band[:, inner[1] + 1 :]], axis=1)
    inked = outside[outside > 0]
    if inked.size == 0:
        return 0
    level = float(np.median(inked))
    past_rest = inner is not None and first < inner[0] - reach and last > inner[1] + reach
    return round((level + 255) / 2) if past_rest or level <= FAINT_LINE else 0


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
