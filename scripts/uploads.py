"""The three kinds of upload users send, made in code, for the preprocessing and peer benchmarks.

    from scripts.uploads import canvas_pngs, photo_jpegs, megapixel_jpegs
    pngs = canvas_pngs(8)         # the page's 560x560 canvas PNG, drawn as app/static/draw.js draws
    jpegs = photo_jpegs(8)        # 1280x1280 JPEG photos of ink on paper
    big = megapixel_jpegs(8)      # 4032x3024 (12 MP) JPEGs of about 3 MB, quality 90

Each returns a list of (name, bytes, label). The photos are real ones from ../shared/real-digits
(ParkerCai's green ink on white paper and ashishdasu's marker on grey paper), scaled up, with
paper texture, a lighting gradient and sensor-like noise added; every image differs. The same
seed gives the same bytes. Nothing here is committed as a binary.
"""

import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
REAL_DIGITS = REPO.parent / "shared" / "real-digits"
PHOTO_SOURCES = ("ParkerCai", "ashishdasu")  # photos of ink on paper
CANVAS_SIDE = 560  # app/static/index.html's <canvas id="pad">
STROKE = 0.075  # draw.js: ctx.lineWidth = canvas.width * STROKE, round caps and joins, "#111" on "#fff"
SUPERSAMPLE = 4  # the browser anti-aliases its strokes: drawn 4x, then reduced

# Each digit as strokes in a unit box (x right, y down), as a person draws it with a mouse.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [
        [
            (0.5, 0.05),
            (0.2, 0.2),
            (0.12, 0.5),
            (0.22, 0.85),
            (0.5, 0.95),
            (0.78, 0.82),
            (0.86, 0.5),
            (0.75, 0.15),
            (0.5, 0.05),
        ]
    ],
    1: [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]],
    2: [[(0.2, 0.25), (0.4, 0.07), (0.7, 0.1), (0.78, 0.35), (0.2, 0.92), (0.85, 0.92)]],
    3: [[(0.2, 0.12), (0.65, 0.08), (0.7, 0.35), (0.4, 0.48), (0.78, 0.62), (0.7, 0.9), (0.2, 0.9)]],
    4: [[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.65, 0.35), (0.65, 0.95)]],
    5: [[(0.8, 0.08), (0.28, 0.08), (0.24, 0.45), (0.65, 0.42), (0.8, 0.68), (0.6, 0.92), (0.2, 0.85)]],
    6: [[(0.7, 0.05), (0.3, 0.4), (0.22, 0.75), (0.5, 0.95), (0.78, 0.75), (0.6, 0.5), (0.3, 0.6)]],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]],
    8: [
        [(0.5, 0.5), (0.2, 0.3), (0.5, 0.05), (0.8, 0.3), (0.5, 0.5), (0.2, 0.75), (0.5, 0.95), (0.8, 0.75), (0.5, 0.5)]
    ],
    9: [[(0.78, 0.35), (0.5, 0.08), (0.22, 0.3), (0.5, 0.52), (0.78, 0.35), (0.72, 0.95)]],
}


def canvas_png(digit: int, rng: np.random.Generator) -> bytes:
    """One drawing as the page sends it: a 560x560 RGBA PNG (opaque), dark strokes on white."""
    side, scale = CANVAS_SIDE, SUPERSAMPLE
    image = Image.new("RGBA", (side * scale, side * scale), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    width = round(side * STROKE * scale)
    box = rng.uniform(0.35, 0.7) * side  # the drawing's height on the pad
    left, top = rng.uniform(0.05, 0.95 - 0.7 * box / side) * side, rng.uniform(0.05, 0.95 - box / side) * side
    for stroke in DIGIT_STROKES[digit]:
        points = [
            ((left + (x * 0.7 + rng.normal(0, 0.02)) * box) * scale, (top + (y + rng.normal(0, 0.02)) * box) * scale)
            for x, y in stroke
        ]
        draw.line(points, fill=(17, 17, 17, 255), width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=(17, 17, 17, 255))
    return encode(image.resize((side, side), Image.Resampling.BOX), "PNG")


def canvas_pngs(count: int = 8, seed: int = 0) -> list[tuple[str, bytes, int]]:
    rng = np.random.default_rng(seed)
    return [(f"canvas-{i}", canvas_png(i % 10, rng), i % 10) for i in range(count)]


def real_photos() -> list[tuple[str, Image.Image, int]]:
    """The real photos of ink on paper, as RGB, with their labels (name, image, label)."""
    with open(REAL_DIGITS / "manifest.csv", newline="") as manifest:
        rows = [row for row in csv.DictReader(manifest) if row["source_repo"].split("/")[0] in PHOTO_SOURCES]
    if not rows:
        raise FileNotFoundError(f"no photos of {PHOTO_SOURCES} in {REAL_DIGITS}")
    return [(row["path"], Image.open(REAL_DIGITS / row["path"]).convert("RGB"), int(row["label"])) for row in rows]


def photograph(photo: Image.Image, size: tuple[int, int], rng: np.random.Generator, noise: float) -> np.ndarray:
    """A photo scaled to cover `size` (width, height), with paper grain, a lighting gradient and
    sensor noise: (height, width, 3) uint8."""
    width, height = size
    scale = max(width / photo.width, height / photo.height) * rng.uniform(1.0, 1.15)
    big = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BILINEAR)
    x, y = rng.integers(0, big.width - width + 1), rng.integers(0, big.height - height + 1)
    pixels = np.asarray(big.crop((x, y, x + width, y + height)), dtype=np.float32)
    grain = np.asarray(
        Image.fromarray(rng.normal(0, 1, (height // 8, width // 8)).astype(np.float32), "F").resize(size), np.float32
    )
    rows, cols = np.ogrid[:height, :width]
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.05, 0.2) * ((np.cos(angle) * cols / width + np.sin(angle) * rows / height) + 1) / 2
    pixels = pixels * light[..., None] + 3 * grain[..., None]
    pixels += rng.normal(0, noise, pixels.shape).astype(np.float32)  # sensor noise, per channel
    return np.clip(pixels, 0, 255).astype(np.uint8)


def photo_jpegs(count: int = 8, seed: int = 1, side: int = 1280, quality: int = 88) -> list[tuple[str, bytes, int]]:
    """1280x1280 JPEG photos of ink on paper (about 250-400 KB each)."""
    rng = np.random.default_rng(seed)
    photos = real_photos()
    chosen = [photos[i] for i in rng.permutation(len(photos))[:count]]
    return [
        (
            f"photo-{i}-{name}",
            encode(Image.fromarray(photograph(photo, (side, side), rng, 6.0)), "JPEG", quality=quality),
            label,
        )
        for i, (name, photo, label) in enumerate(chosen)
    ]


def megapixel_jpegs(count: int = 8, seed: int = 2) -> list[tuple[str, bytes, int]]:
    """4032x3024 (12 MP) JPEGs at quality 90, about 3 MB each: a real photo scaled up, with noise."""
    rng = np.random.default_rng(seed)
    photos = real_photos()
    chosen = [photos[i] for i in rng.permutation(len(photos))[:count]]
    return [
        (
            f"12mp-{i}-{name}",
            encode(Image.fromarray(photograph(photo, (4032, 3024), rng, 7.0)), "JPEG", quality=90),
            label,
        )
        for i, (name, photo, label) in enumerate(chosen)
    ]


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
