"""What a stepped answer costs: sequential /classify?model=all on the page's canvas PNG, with and
without steps=true, and /add with and without "steps" for a 64-bit sum, against a running server.

    uvicorn app.main:app --port 8000 &
    python scripts/bench_steps.py --url http://127.0.0.1:8000 --requests 200

One request at a time, the two kinds alternating so that a busy spell on the machine hits both
alike. Prints the median and 90th-percentile latency of each, the stepped/plain ratio of the
medians (the bar: at most 1.5 for /classify) and the response sizes (the bar: under 64 KB).
"""

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable

import httpx
from PIL import Image, ImageDraw

PAD = 560  # the page's canvas, in pixels
STROKE = 0.075  # its line width, as a fraction of the side (app/static/draw.js)


def canvas_png() -> bytes:
    """A 7 as the page's pad sends it: dark round strokes on a white 560 x 560 PNG."""
    image = Image.new("RGBA", (PAD, PAD), "white")
    points = [(0.28 * PAD, 0.22 * PAD), (0.72 * PAD, 0.22 * PAD), (0.6 * PAD, 0.45 * PAD), (0.46 * PAD, 0.82 * PAD)]
    ImageDraw.Draw(image).line(points, fill="#111111", width=round(STROKE * PAD), joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def timed(send: Callable[[], httpx.Response]) -> tuple[float, int]:
    started = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, len(response.content)


def compare(name: str, plain: Callable[[], httpx.Response], stepped: Callable[[], httpx.Response], n: int) -> str:
    for _ in range(5):  # warm up both paths
        plain(), stepped()
    times: dict[str, list[float]] = {"plain": [], "steps": []}
    sizes: dict[str, int] = {}
    for _ in range(n):
        for kind, send in (("plain", plain), ("steps", stepped)):
            elapsed, sizes[kind] = timed(send)
            times[kind].append(elapsed)
    median = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    p90 = {kind: statistics.quantiles(values, n=10)[-1] * 1000 for kind, values in times.items()}
    rows = [
        f"| {name} | {kind} | {median[kind]:.2f} | {p90[kind]:.2f} | {sizes[kind] / 1024:.1f} |"
        for kind in ("plain", "steps")
    ]
    return "\n".join([*rows, f"| {name} | steps / plain (median) | {median['steps'] / median['plain']:.2f} | | |"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    args = parser.parse_args()
    png = canvas_png()
    rng = random.Random(0)
    a, b = (format(rng.getrandbits(64) | 1 << 63, "b") for _ in range(2))
    with httpx.Client(base_url=args.url, timeout=30) as client:
        files = {"file": ("drawing.png", png, "image/png")}

        def classify(query: str) -> Callable[[], httpx.Response]:
            return lambda: client.post(f"/classify?model=all{query}", files=files)

        def add(extra: dict[str, bool]) -> Callable[[], httpx.Response]:
            return lambda: client.post("/add", json={"a": a, "b": b, **extra})

        print("| request | kind | median (ms) | p90 (ms) | response (KB) |")
        print("| --- | --- | --- | --- | --- |")
        print(compare("/classify?model=all, canvas PNG", classify(""), classify("&steps=true"), args.requests))
        print(compare("/add, 64-bit operands", add({}), add({"steps": True}), args.requests))


if __name__ == "__main__":
    main()
