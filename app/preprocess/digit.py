"""The digit's ink -> MNIST's frame: longer side 20 px, strokes about as wide as MNIST's, centre of
mass on pixel (14, 14) of 28x28; and the test for an image that is in that frame already.

    pixels = mnist_form(grey)                   # (28, 28) uint8 already in MNIST's form -> float32, or None
    pixels = paste_centred(fit_box(ink_crop))   # (h, w) float32 ink -> (28, 28) float32 in [0, 1]
"""

import cv2
import numpy as np

MNIST_SIZE = 28
DIGIT_BOX = 20  # MNIST fits each digit's longer side to 20 px ...
MNIST_CENTRE = 14.0  # ... and puts its centre of mass on pixel 14 (row and column)
NEAR_WHITE = 250  # every MNIST digit's brightest pixel is at least this grey level
MNIST_STROKE = 1.8  # median stroke width of MNIST digits in px (2 * area / perimeter, at 28x28) ...
THIN_STROKE = 1.2  # ... and its 5th percentile: thinner strokes are thickened to the median
UPSAMPLE = 4  # thin strokes are thickened at this multiple of the final resolution


def mnist_form(grey: np.ndarray) -> np.ndarray | None:
    """A (28, 28) uint8 image already in MNIST's form -> its pixels / 255, unchanged; None otherwise.

    MNIST's form, which every MNIST test digit has: ink on an exactly black background, the ink's
    box 19 or 20 px on its longer side, its brightest pixel near white, and its centre of mass
    within half a pixel of (14, 14). The full pipeline would give such a digit back essentially
    unchanged, only resampled.
    """
    if grey.shape != (MNIST_SIZE, MNIST_SIZE) or int(grey.max()) < NEAR_WHITE:
        return None
    _, _, width, height = cv2.boundingRect(grey)  # of the non-zero pixels
    if max(width, height) not in (DIGIT_BOX - 1, DIGIT_BOX):
        return None
    centre = centre_of_mass(grey)
    if centre is None or max(abs(centre[0] - MNIST_CENTRE), abs(centre[1] - MNIST_CENTRE)) > 0.5:
        return None
    pixels: np.ndarray = grey / np.float32(255)  # as training scales MNIST
    return pixels


def fit_box(crop: np.ndarray) -> np.ndarray:
    """The ink's bounding box (h, w) float32 -> longer side 20 px, aspect kept, strokes about as
    wide as MNIST's, and saturated in their core as MNIST's are."""
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # OpenCV's order: (width, height)
    stroke = stroke_width(crop) * scale  # px at the 20 px scale
    if stroke >= THIN_STROKE:
        digit = resize(crop, size)
    else:
        fine = resize(crop, (UPSAMPLE * size[0], UPSAMPLE * size[1]))  # thickened at 4x the final resolution
        radius = max(1, round((MNIST_STROKE - stroke) * UPSAMPLE / 2))
        digit = resize(cv2.dilate(fine, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)), size)
    inked = digit[digit > 0]
    core = float(np.percentile(inked, 90)) if inked.size else 1.0
    return np.clip(digit * np.float32(1 / core), 0.0, 1.0)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in px: twice the area over the perimeter of the ink at half strength."""
    mask = np.pad(ink >= 0.5, 1)
    perimeter = int(np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1]))
    return 2.0 * int(np.count_nonzero(mask)) / max(perimeter, 1)


def resize(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a (h, w) float32 image to OpenCV's size (width, height): the mean
    over each output pixel's area when shrinking, bilinear when growing."""
    if ink.shape == (size[1], size[0]):
        return ink
    shrinking = size[0] < ink.shape[1] or size[1] < ink.shape[0]
    resized = cv2.resize(ink, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return np.clip(resized, 0.0, 1.0, out=resized)


def centre_of_mass(image: np.ndarray) -> tuple[float, float] | None:
    """(h, w) ink -> its centre of mass (row, column) in pixel indices; None without ink.

    In numpy: cv2.moments would read a float (n, 2) array, such as a 1 fitted 2 px wide, as n points.
    """
    rows, cols = image.sum(axis=1, dtype=np.float64), image.sum(axis=0, dtype=np.float64)  # (h,), (w,)
    mass = float(rows.sum())
    if mass <= 0:
        return None
    return float(rows @ np.arange(len(rows))) / mass, float(cols @ np.arange(len(cols))) / mass


def paste_centred(digit: np.ndarray) -> np.ndarray | None:
    """(h, w) float32 digit, both <= 20 -> (28, 28) with its centre of mass on pixel (14, 14);
    None when it holds no ink."""
    height, width = digit.shape
    centre = centre_of_mass(digit)
    if centre is None:
        return None
    row, col = centre
    top = min(max(round(MNIST_CENTRE - row), 0), MNIST_SIZE - height)
    left = min(max(round(MNIST_CENTRE - col), 0), MNIST_SIZE - width)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = digit
    return canvas
