"""What the page's browser tests share: the zoo's names, real photos to upload, strokes to draw, and
how to open a view, draw with a mouse or a finger, and wait for an answer.

    open_view(page, base_url, "draw"); draw(page, SEVEN); assert answer(page, "#draw-result") == "7"

Points are in [0, 1] of the drawing pad; REAL_DIGITS is outside the repository (not committed).
"""

import csv
import itertools
from pathlib import Path
from typing import Any

from training.zoo import ADDER_ZOO, DIGIT_ZOO

REPO = Path(__file__).resolve().parents[3]
REAL_DIGITS = REPO.parent / "shared" / "real-digits"
DIGIT_MODELS = list(DIGIT_ZOO)  # the page lists the committed zoo: every model of the table
ADDERS = list(ADDER_ZOO)
# Photos and scans of ink on paper, and one canvas drawing, from four sources (manifest.csv).
UPLOADS = [
    "ParkerCai__PRCV_Project-5_Recognition-using-Deep-Networks/3_1.png",
    "ashishdasu__recognition-DNN/4_1.png",
    "owenliang__NeuralNetwork/7_1.png",
    "7eraflops__mnist-digit-recognition/2_1.png",
]
ONE = [[(0.52, 0.18), (0.5, 0.5), (0.48, 0.82)]]
SEVEN = [[(0.28, 0.22), (0.72, 0.22), (0.6, 0.45), (0.46, 0.82)]]
# Load every image now, lazy ones too, so that full-page screenshots show the training curves.
LOAD_IMAGES = "Promise.all([...document.images].filter(i => i.src).map(i => (i.loading = 'eager', i.decode())))"


def open_view(page: Any, base_url: str, view: str) -> None:
    page.goto(f"{base_url}#{view}")
    page.wait_for_selector(f"#view-{view}:not([hidden])")


def draw(page: Any, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw on the pad with the mouse (Chromium turns it into pointer events); points in [0, 1].

    Returns once the page has sent each finished stroke: an answer read after that is the whole
    drawing's, not one the page asked for while the pen paused halfway (see `released`)."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        with released(page):
            page.mouse.up()


def released(page: Any) -> Any:
    """A context that ends when the page sends the drawing it classifies as the pen lifts. On a busy
    machine the pen also pauses mid-stroke, and the page answers that part too: until the lift's
    request leaves, the pad can show a finished answer to half a digit."""
    return page.expect_request(lambda request: "/classify" in request.url)


def touch_draw(page: Any, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw with a finger: raw touch events through the DevTools protocol (Chromium makes them pointer events)."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        path = [points[0]]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            path += [(x0 + (x1 - x0) * t / 10, y0 + (y1 - y0) * t / 10) for t in range(1, 11)]
        for kind, (x, y) in [("touchStart", path[0]), *(("touchMove", point) for point in path[1:])]:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        with released(page):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def answer(page: Any, container: str) -> str:
    """Wait until the container shows a finished answer (not busy), and return the ensemble's digit."""
    page.wait_for_selector(f'{container}[data-state="done"][aria-busy="false"]')
    return page.locator(f"{container} .ensemble-digit").inner_text()


def label_of(path: str) -> int:
    with (REAL_DIGITS / "manifest.csv").open() as manifest:
        return next(int(row["label"]) for row in csv.DictReader(manifest) if row["path"] == path)


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
