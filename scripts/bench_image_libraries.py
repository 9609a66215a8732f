"""OpenCV against scipy.ndimage and scikit-image on the preprocessing pipeline's steps, at its working size,
and the decoders on the page's canvas PNG.

    pip install scipy scikit-image     # not rnnlab's dependencies: only this comparison needs them
    python scripts/bench_image_libraries.py

Each step runs on what the pipeline feeds it for a 1280x1280 photo of ink on paper (and the
page's 560x560 canvas for the first reduction). The decoders read the canvas PNG (560x560 RGBA,
as canvas.toBlob sends it) into pixels: libspng (pyspng), OpenCV's libpng and Pillow.
Milliseconds of one thread: median (min).
"""

import io
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pyspng
from PIL import Image
from scipy import ndimage
from skimage import filters, measure, morphology, transform

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.preprocess import decode, reduce
from app.preprocess.ink import find_ink
from scripts.uploads import canvas_pngs, photo_jpegs

cv2.setNumThreads(1)
data = photo_jpegs(1)[0][1]
canvas = canvas_pngs(1)[0][1]
big = decode(canvas, 10**8)  # 560x560
g = reduce(decode(data, 10**8))
ink = find_ink(g)
mask = (ink > 0).astype(np.uint8)
f = ink.astype(np.float32) / 255
k = np.ones((25, 25), np.uint8)
steps = {
    "otsu": (
        lambda: cv2.threshold(g, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU),
        lambda: filters.threshold_otsu(g),
        None,
    ),
    "components (8-conn)": (
        lambda: cv2.connectedComponents(mask, connectivity=8),
        None,
        lambda: ndimage.label(mask, structure=np.ones((3, 3))),
    ),
    "grey erosion 25x25": (
        lambda: cv2.erode(g, k),
        lambda: morphology.erosion(g, morphology.footprint_rectangle((25, 25))),
        lambda: ndimage.grey_erosion(g, size=(25, 25)),
    ),
    "dilation 3x3": (
        lambda: cv2.dilate(mask, np.ones((3, 3), np.uint8)),
        lambda: morphology.dilation(mask, np.ones((3, 3), bool)),
        lambda: ndimage.binary_dilation(mask, np.ones((3, 3))),
    ),
    "area resize 560->280": (
        lambda: cv2.resize(big, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
        lambda: transform.downscale_local_mean(big, (2, 2)),
        lambda: ndimage.zoom(big, 0.5, order=1),
    ),
    "resize crop -> 20x20": (
        lambda: cv2.resize(f[40:240, 60:200], (14, 20), interpolation=cv2.INTER_AREA),
        lambda: transform.resize(f[40:240, 60:200], (20, 14), anti_aliasing=True),
        lambda: ndimage.zoom(f[40:240, 60:200], 0.1, order=1),
    ),
    "moments": (lambda: cv2.moments(f), lambda: measure.moments(f, order=1), lambda: ndimage.center_of_mass(f)),
}

decoders = {
    "libspng (pyspng)": lambda: pyspng.load(canvas, "RGBA"),
    "OpenCV (libpng)": lambda: cv2.imdecode(np.frombuffer(canvas, np.uint8), cv2.IMREAD_UNCHANGED),
    "Pillow": lambda: Image.open(io.BytesIO(canvas)).load(),
}


def timed(step, runs=60):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return np.median(times) * 1e3, min(times) * 1e3


print(f"working image {g.shape}; milliseconds, median (min) of one thread")
print(f"{'step':24} {'OpenCV':>16} {'scikit-image':>16} {'scipy.ndimage':>16}")
for name, fns in steps.items():
    cells = ["-" if fn is None else "{:.3f} ({:.3f})".format(*timed(fn)) for fn in fns]
    print(f"{name:24} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")

print(f"\ndecoding the canvas PNG ({len(canvas) / 1000:.0f} KB, 560x560 RGBA)")
for name, fn in decoders.items():
    print("{:24} {:>16}".format(name, "{:.3f} ({:.3f})".format(*timed(fn))))
