"""The three kinds of upload users send, made in code, for the benchmarks.

    import uploads                                   # from scripts/, or sys.path.insert(0, "scripts")
    uploads.canvas_pngs()      # 10 x the page's 560x560 canvas PNG, drawn as app/static/draw.js draws
    uploads.photo_jpegs()      # 10 x 1280x1280 JPEG photos of ink on paper, 200-400 KB
    uploads.twelve_mp_jpegs()  # 10 x 4032x3024 JPEGs of about 3 MB
    uploads.KINDS["canvas"]()  # the same, by name; each returns [(label, bytes), ...]
    uploads.padded_jpeg(data, 10 << 20)              # a valid JPEG grown to a byte size (COM segments)

The photos come from ../shared/real-digits (phone photos of marker on grey paper and green ink on
white paper): each is padded to the frame with its own paper, scaled up, given sensor-like noise
(grain that grows with brightness, plus a little colour noise) and saved at quality 90. Nothing is
cached: the same seed gives the same bytes.
"""

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REAL_DIGITS = Path(__file__).resolve().parents[1].parent / "shared" / "real-digits"
PHOTO_SOURCES = ("ashishdasu/recognition-DNN", "ParkerCai/PRCV_Project-5_Recognition-using-Deep-Networks")
CANVAS = 560  # app/static/index.html's pad, in canvas pixels
STROKE = 0.075  # draw.js: line width as a fraction of the pad's side, round caps and joins, #111 on #fff
# Each digit as strokes of points in the unit square, as a hand would draw it on the pad.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5, 0.2), (0.35, 0.3), (0.3, 0.5), (0.35, 0.7), (0.5, 0.8), (0.65, 0.7), (0.7, 0.5), (0.65, 0.3),
         (0.5, 0.2)]],
    1: [[(0.42, 0.3), (0.52, 0.2), (0.52, 0.8)]],
    2: [[(0.32, 0.32), (0.45, 0.2), (0.62, 0.24), (0.66, 0.38), (0.32, 0.8), (0.7, 0.8)]],
    3: [[(0.33, 0.25), (0.55, 0.2), (0.66, 0.32), (0.5, 0.48), (0.67, 0.62), (0.55, 0.8), (0.32, 0.76)]],
    4: [[(0.6, 0.8), (0.6, 0.2), (0.3, 0.6), (0.72, 0.6)]],
    5: [[(0.66, 0.2), (0.38, 0.2), (0.35, 0.46), (0.58, 0.44), (0.68, 0.6), (0.55, 0.8), (0.32, 0.76)]],
    6: [[(0.62, 0.2), (0.42, 0.36), (0.34, 0.62), (0.48, 0.8), (0.64, 0.7), (0.6, 0.52), (0.4, 0.55)]],
    7: [[(0.3, 0.22), (0.7, 0.22), (0.44, 0.8)], [(0.4, 0.5), (0.62, 0.5)]],
    8: [[(0.5, 0.5), (0.36, 0.36), (0.5, 0.2), (0.64, 0.36), (0.5, 0.5), (0.34, 0.66), (0.5, 0.8), (0.66, 0.66),
         (0.5, 0.5)]],
    9: [[(0.64, 0.38), (0.5, 0.2), (0.36, 0.34), (0.48, 0.5), (0.64, 0.38), (0.62, 0.8)]],
}  # fmt: skip


def canvas_png(digit: int, seed: int) -> bytes:
    """One digit drawn on the 560x560 pad: dark (#111) round strokes on white, antialiased as a
    browser does (drawn at 4x, then reduced), sent as the RGBA PNG canvas.toBlob makes."""
    rng = np.random.default_rng(seed)
    scale = 4
    side = CANVAS * scale
    image = Image.new("RGB", (side, side), "#fff")
    draw = ImageDraw.Draw(image)
    width = round(CANVAS * STROKE * scale)
    shift, size = rng.uniform(-0.06, 0.06, 2), rng.uniform(0.85, 1.1)
    for stroke in DIGIT_STROKES[digit]:
        points = [
            tuple(float(v) for v in ((np.array(p) - 0.5) * size + 0.5 + shift + rng.normal(0, 0.01, 2)) * side)
            for p in stroke
        ]
        draw.line(points, fill="#111", width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill="#111")
    pad = image.resize((CANVAS, CANVAS), Image.Resampling.LANCZOS).convert("RGBA")
    return encode(pad, "PNG")


def canvas_pngs(count: int = 10) -> list[tuple[int, bytes]]:
    return [(index % 10, canvas_png(index % 10, index)) for index in range(count)]


def real_photos() -> list[tuple[int, Image.Image]]:
    """The real-digits photos of ink on paper (not the scans' small cells), in manifest order."""
    with (REAL_DIGITS / "manifest.csv").open() as manifest:
        rows = [row for row in csv.DictReader(manifest) if row["source_repo"] in PHOTO_SOURCES]
    return [(int(row["label"]), Image.open(REAL_DIGITS / row["path"]).convert("RGB")) for row in rows]


def photo(source: Image.Image, size: tuple[int, int], seed: int, grain: float) -> bytes:
    """The photo padded with its own paper to the frame's aspect, scaled up to `size`, with sensor
    noise (shot noise growing with brightness, `grain` levels at white) and JPEG quality 90."""
    width, height = size
    paper = tuple(int(v) for v in np.median(np.asarray(source).reshape(-1, 3), axis=0))
    scale = min(width / source.width, height / source.height) * 0.6  # the digit fills 60 % of the frame
    digit = source.resize((round(source.width * scale), round(source.height * scale)), Image.Resampling.BICUBIC)
    frame = Image.new("RGB", size, paper)
    frame.paste(digit, ((width - digit.width) // 2, (height - digit.height) // 2))
    rng = np.random.default_rng(seed)
    pixels = np.asarray(frame, dtype=np.float32)
    brightness = pixels.mean(axis=2, keepdims=True) / 255
    luma_noise = rng.standard_normal((height, width, 1), dtype=np.float32) * np.sqrt(brightness)
    colour_noise = rng.standard_normal((height, width, 3), dtype=np.float32) * 0.3
    noisy = pixels + grain * (luma_noise + colour_noise)
    return encode(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), "JPEG", quality=90)


def photo_jpegs(count: int = 10, side: int = 1280) -> list[tuple[int, bytes]]:
    photos = real_photos()
    return [(photos[i % len(photos)][0], photo(photos[i % len(photos)][1], (side, side), i, 6.0)) for i in range(count)]


def twelve_mp_jpegs(count: int = 10) -> list[tuple[int, bytes]]:
    """4032x3024 (12 MP) phone-sized photos, about 3 MB each at quality 90."""
    photos = real_photos()
    return [(photos[i % len(photos)][0], photo(photos[i % len(photos)][1], (4032, 3024), i, 9.0)) for i in range(count)]


def padded_jpeg(data: bytes, size: int) -> bytes:
    """A JPEG grown to exactly `size` bytes with comment (COM) segments after its SOI marker:
    still a valid JPEG that decodes to the same pixels."""
    room = size - len(data)
    if room < 4:
        raise ValueError(f"the JPEG has {len(data)} bytes; it cannot grow to {size}")
    segments = []
    while room > 0:  # each segment: marker (2 bytes), length (2, counting itself), up to 65533 bytes
        body = min(65533, room - 4)
        if 0 < room - 4 - body < 4:  # leave room for one more segment's marker and length
            body -= 4
        segments.append(b"\xff\xfe" + (body + 2).to_bytes(2, "big") + bytes(body))
        room -= body + 4
    return data[:2] + b"".join(segments) + data[2:]


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


KINDS: dict[str, Callable[[], list[tuple[int, bytes]]]] = {
    "canvas": canvas_pngs,
    "photo": photo_jpegs,
    "12mp": twelve_mp_jpegs,
}


def summary() -> None:
    """python scripts/uploads.py: each kind's sizes, to check the bytes look like the real thing."""
    for name, make in KINDS.items():
        made = make()
        sizes = sorted(len(data) for _, data in made)
        labels = [label for label, _ in made]
        print(f"{name}: {len(made)} images, {sizes[0] / 1e3:.0f}-{sizes[-1] / 1e3:.0f} KB, labels {labels}")


if __name__ == "__main__":
    summary()
