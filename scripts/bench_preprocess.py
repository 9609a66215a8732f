"""Median time of one thread from an upload's bytes to the 28x28 array, for each kind of upload.

    python scripts/bench_preprocess.py                 # 8 images of each kind, 20 rounds
    python scripts/bench_preprocess.py --images 12 --rounds 40 --json

The uploads are made in code (scripts/uploads.py): the page's 560x560 canvas PNG drawn as
app/static/draw.js draws, 1280x1280 JPEG photos of ink on paper, and 12 MP JPEGs of about 3 MB.
Each round times every image once, in turn, so that no image sits in the cache more than another.
The bars: canvas 4 ms, 1280 JPEG 8 ms, 12 MP JPEG 50 ms (median).
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.preprocess import preprocess
from scripts.uploads import canvas_pngs, photo_jpegs, twelve_mp_jpegs

MAX_PIXELS = 40_000_000  # the service's default RNNLAB_MAX_PIXELS
KINDS: dict[str, tuple[Callable[[int], list[tuple[str, bytes, int]]], float]] = {
    "canvas PNG 560x560": (canvas_pngs, 4.0),  # the maker, and the bar in ms
    "JPEG 1280x1280": (photo_jpegs, 8.0),
    "JPEG 4032x3024 (12 MP)": (twelve_mp_jpegs, 50.0),
}


def time_kind(uploads: list[bytes], rounds: int) -> list[float]:
    """Milliseconds of each preprocess call, every upload once a round, after one warm-up pass."""
    for data in uploads:
        preprocess(data, MAX_PIXELS)
    times = []
    for _ in range(rounds):
        for data in uploads:
            started = time.perf_counter()
            preprocess(data, MAX_PIXELS)
            times.append(1000 * (time.perf_counter() - started))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=8, help="different images of each kind")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the images")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # one thread, as a request's preprocessing runs in the service
    rows = []
    for kind, (make, bar) in KINDS.items():
        uploads = [data for _, data in make(args.images)]
        times = time_kind(uploads, args.rounds)
        size_kb = statistics.mean(len(data) for data in uploads) / 1000
        quartiles = statistics.quantiles(times, n=4)
        rows.append(
            {
                "kind": kind,
                "images": len(uploads),
                "mean_kb": round(size_kb),
                "median_ms": round(statistics.median(times), 2),
                "p25_ms": round(quartiles[0], 2),
                "p75_ms": round(quartiles[2], 2),
                "bar_ms": bar,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'upload':24} {'images':>6} {'KB':>6} {'median ms':>10} {'p25-p75 ms':>12} {'bar ms':>7}")
    for row in rows:
        spread = f"{row['p25_ms']:.1f}-{row['p75_ms']:.1f}"
        verdict = "ok" if row["median_ms"] <= row["bar_ms"] else "OVER"
        cells = f"{row['images']:>6} {row['mean_kb']:>6} {row['median_ms']:>10.2f} {spread:>12} {row['bar_ms']:>7.0f}"
        print(f"{row['kind']:24} {cells} {verdict}")


if __name__ == "__main__":
    main()
