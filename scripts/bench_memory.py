"""Big uploads cannot exhaust memory: 32 concurrent 12 MP JPEGs just under the byte cap, against
rnnlab with 2 workers; the growth of its RSS (all processes) over the idle figure.

    .venv/bin/python scripts/bench_memory.py                 # 32 uploads, RNNLAB_MAX_UPLOAD_BYTES' default
    .venv/bin/python scripts/bench_memory.py --uploads 64    # more at once

Each upload is one of 10 12 MP photos (scripts/uploads.py) grown with JPEG comment segments to the
cap less the multipart framing and 1 KiB: valid JPEGs that decode and are classified. The bodies wait
on disk (spooled) while the requests queue; only the ones being preprocessed are read into memory.
RSS is sampled every 20 ms while the uploads are answered; the peak over the idle figure is the growth.
"""

import argparse
import asyncio
import collections
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uploads
from bench_peers import Server, start

CAP = 10 * 2**20  # RNNLAB_MAX_UPLOAD_BYTES' default
FRAMING = 1024  # room left for the multipart boundary and headers


async def send(url: str, bodies: list[bytes]) -> list[int]:
    """POST every body at once, each on its own connection; the statuses."""
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        responses = await asyncio.gather(*(client.post(url, files={"file": ("photo.jpg", b)}) for b in bodies))
    return [response.status_code for response in responses]


def peak_rss(server: Server, stop: threading.Event, peaks: list[float]) -> None:
    while not stop.is_set():
        peaks.append(server.rss_mib())
        time.sleep(0.02)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--uploads", type=int, default=32)
    args = options.parse_args()
    photos = [uploads.padded_jpeg(data, CAP - FRAMING) for _, data in uploads.twelve_mp_jpegs()]
    bodies = [photos[i % len(photos)] for i in range(args.uploads)]
    with tempfile.TemporaryDirectory(prefix="rnnlab-memory-") as folder:
        server = start("rnnlab", Path(folder) / "server.log")
        try:
            time.sleep(3)  # both workers loaded: readiness answers as soon as one is
            idle = server.rss_mib()
            stop, peaks = threading.Event(), [idle]
            sampler = threading.Thread(target=peak_rss, args=(server, stop, peaks))
            sampler.start()
            started = time.perf_counter()
            statuses = asyncio.run(send(server.url, bodies))
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
        finally:
            server.stop()
    print(f"{args.uploads} uploads of {len(bodies[0]) / 2**20:.2f} MiB at once, answered in {seconds:.1f} s: "
          f"{dict(collections.Counter(statuses))}")  # fmt: skip
    print(f"RSS over all processes: {idle:.0f} MiB idle, {max(peaks):.0f} MiB at peak: +{max(peaks) - idle:.0f} MiB")


if __name__ == "__main__":
    main()
