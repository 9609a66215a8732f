"""Uploaded image bytes -> the 28x28 input a digit model expects, made the way MNIST was made.

    from app.preprocess import ImageRejected, preprocess, to_png_data_url
    try:
        pixels = preprocess(upload_bytes, max_pixels=40_000_000)  # (28, 28) float32 in [0, 1]
    except ImageRejected as error:
        ...  # error.status_code (400, 413, 415 or 422) and error.detail go back to the client
    preview = to_png_data_url(pixels)  # "data:image/png;base64,...": what the model saw

One pipeline for every upload, as MNIST itself was made:

1. `decode` (decode.py): the header checked first (format by content, pixel limit), then upright
   8-bit grey, transparency on white; a large JPEG decoded at 1/2, 1/4 or 1/8 scale.
2. An image already in MNIST's form (digit.py's `mnist_form`) stops here, unchanged.
3. `to_mnist`: reduced to WORK_SIDE; the ink found, flattened and normalised (ink.py); paper's
   lines, box edges and specks removed (clean.py, lines.py); cropped to the ink, fitted to 20 px
   and centred by its mass in 28x28 (digit.py).

Why OpenCV (opencv-python-headless): every heavy step is one OpenCV call (decoding, area resizing,
histograms, thresholds, morphology, connected components, the Hough transform), each
measured faster than its scipy.ndimage or scikit-image counterpart at the pipeline's working size
(scripts/bench_image_libraries.py; the figures are in BENCHMARKS.md). Neither alternative decodes
a JPEG at reduced scale, the step that bounds a 12 MP photo, and OpenCV releases the GIL while it
works, so the service's threads preprocess in parallel. Pillow stays for what OpenCV lacks:
reading a header without decoding the pixels, GIF, and the preview PNG.
"""

import base64
import io

import cv2
import numpy as np
from PIL import Image

from app.preprocess.clean import clean
from app.preprocess.decode import FORMATS, ImageRejected, decode, sniff_format
from app.preprocess.digit import fit_box, mnist_form, paste_centred
from app.preprocess.ink import block_means, find_ink

__all__ = ["FORMATS", "ImageRejected", "decode", "preprocess", "sniff_format", "to_mnist", "to_png_data_url"]

WORK_SIDE = 320  # larger images are reduced to this longer side first: a digit needs far fewer pixels
NO_INK = "no ink found: the image looks blank or uniform"


def preprocess(data: bytes, max_pixels: int) -> np.ndarray:
    """Upload bytes -> (28, 28) float32 in [0, 1], bright digit on black; ImageRejected otherwise."""
    grey = decode(data, max_pixels)  # (h, w) uint8
    as_is = mnist_form(grey)
    return as_is if as_is is not None else to_mnist(grey)


def to_mnist(grey: np.ndarray) -> np.ndarray:
    """(h, w) uint8 grey -> (28, 28) float32 in [0, 1], as MNIST was made (step 3 above)."""
    ink = clean(find_ink(reduce(grey)))  # (h', w') uint8, bright on black
    left, top, width, height = cv2.boundingRect(ink)  # of the non-zero pixels
    if width == 0 or height == 0:
        raise ImageRejected(422, NO_INK)
    crop = ink[top : top + height, left : left + width].astype(np.float32) * np.float32(1 / 255)
    pixels = paste_centred(fit_box(crop))
    if pixels is None:
        raise ImageRejected(422, NO_INK)
    return pixels


def reduce(grey: np.ndarray) -> np.ndarray:
    """(h, w) uint8 -> the same reduced by the least whole factor that brings its longer side to
    WORK_SIDE or less: the mean of each factor x factor block."""
    return block_means(grey, -(-max(grey.shape) // WORK_SIDE), cv2.BORDER_REPLICATE)


def to_png_data_url(pixels: np.ndarray) -> str:
    """A (h, w) array in [0, 1] as an 8-bit grey PNG data URL: the `preview` of what the model saw."""
    buffer = io.BytesIO()
    Image.fromarray(np.rint(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8), "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
