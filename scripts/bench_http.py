"""The pieces of scripts/bench_service.py: the bare endpoint, the requests, and a minimal HTTP/1.1 client.

    uvicorn --app-dir scripts bench_http:bare_app --port 8001     # the bare endpoint, served alone

    from bench_http import load, workloads
    result = asyncio.run(load(8000, workloads()["add"], total=1000, concurrency=32))
    result.throughput, result.latencies, result.errors

`bare_app` accepts what rnnlab accepts (a multipart `file` on /classify, a JSON body with `a` and `b`
on /add) and answers a constant: what FastAPI and uvicorn cost before any work. The client keeps
one connection per concurrent user and sends prepared bytes: it needs far less CPU than httpx,
which matters when it shares two cores with the server it measures.
"""

import asyncio
import io
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, File, UploadFile
from pydantic import BaseModel

MNIST_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "mnist" / "t10k-images-idx3-ubyte.gz"
BOUNDARY = "benchboundary7MA4YWxkTrZu0gW"
SAMPLE_EVERY = 50  # one answer in this many is parsed and checked: parsing them all would load the client

bare_app = FastAPI()


class BareAddRequest(BaseModel):
    a: str
    b: str
    model: str | None = None


@bare_app.post("/classify")
async def bare_classify(file: UploadFile = File(...)) -> dict[str, int]:  # noqa: B008 (FastAPI's idiom)
    return {"digit": 7}


@bare_app.post("/add")
async def bare_add(body: BareAddRequest) -> dict[str, str]:
    return {"sum": "10001"}


@bare_app.get("/health/ready")
async def bare_ready() -> dict[str, str]:
    return {"status": "ready"}


# ---- the requests: raw HTTP/1.1, built once ----


def digit_pngs(count: int, inverted: bool = False) -> list[bytes]:
    """Small 28x28 PNGs (about 250 bytes) of handwritten digits: MNIST's test images if ../shared/mnist
    has them, drawn 7s otherwise. As they are, they are in MNIST's form, which the service takes as is;
    `inverted` (dark ink on white, as on paper) sends them through the full preprocessing."""
    from PIL import Image, ImageDraw, ImageOps

    if MNIST_IMAGES.is_file():
        from training.mnist import read_idx

        images = [Image.fromarray(pixels) for pixels in read_idx(MNIST_IMAGES)[:count]]
    else:
        images = [Image.new("L", (28, 28)) for _ in range(count)]
        for shift, image in enumerate(images):
            ImageDraw.Draw(image).line([(6, 6 + shift % 4), (22, 6), (12, 23)], fill=255, width=3)
    pngs = []
    for image in images:
        if inverted:
            image = ImageOps.invert(image)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return pngs


def http_post(path: str, content_type: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def classify_request(png: bytes) -> bytes:
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="digit.png"\r\n'
    body = part.encode() + b"Content-Type: image/png\r\n\r\n" + png + f"\r\n--{BOUNDARY}--\r\n".encode()
    return http_post("/classify", f"multipart/form-data; boundary={BOUNDARY}", body)


def add_request(a: int, b: int) -> bytes:
    return http_post("/add", "application/json", json.dumps({"a": f"{a:032b}", "b": f"{b:032b}"}).encode())


def workloads(distinct: int = 64) -> dict[str, list[tuple[bytes, str]]]:
    """endpoint -> [(request, /add's exact sum or "" for /classify)]: `distinct` of each, sent in turn."""
    numbers = [((i * 2654435761) % 2**32, (i * 40503 * 65537) % 2**32) for i in range(distinct)]  # 32-bit
    return {
        "classify": [(classify_request(png), "") for png in digit_pngs(distinct)],
        "classify-inverted": [(classify_request(png), "") for png in digit_pngs(distinct, inverted=True)],
        "add": [(add_request(a, b), f"{a + b:033b}") for a, b in numbers],
    }


# ---- the client ----


@dataclass
class Round:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    errors: list[str] = field(default_factory=list)  # non-200 statuses, broken connections, wrong answers
    cpu_seconds: float = 0.0  # the server's CPU time during the round, when the caller measures it
    digits: dict[int, int] = field(default_factory=dict)  # request index -> the digit first answered

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def check(self, index: int, expected_sum: str, body: bytes) -> None:
        """A sampled rnnlab answer: /add's `expected` must be Python's sum; /classify's digit must not change."""
        answer = json.loads(body)
        if expected_sum and answer["expected"] != expected_sum:
            self.errors.append(f"/add answered expected={answer['expected']}; Python says {expected_sum}")
        if not expected_sum and self.digits.setdefault(index, answer["digit"]) != answer["digit"]:
            self.errors.append(f"/classify answered {answer['digit']} for image {index}, {self.digits[index]} before")


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection; return (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length:"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


async def user(
    port: int, work: list[tuple[bytes, str]], tickets: "itertools.count[int]", total: int, result: Round
) -> None:
    """One connection, sending requests until the users together have sent `total`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (ticket := next(tickets)) < total:
            index = ticket % len(work)
            started = time.perf_counter()
            try:
                status, body = await exchange(reader, writer, work[index][0])
            except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration) as error:
                result.errors.append(f"connection: {error!r}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            result.latencies.append(time.perf_counter() - started)
            if status != 200:
                result.errors.append(f"HTTP {status}: {body[:120]!r}")
            elif ticket % SAMPLE_EVERY == 0 and body.startswith(b'{"model"'):  # rnnlab's answers, not bare's
                result.check(index, work[index][1], body)
    finally:
        writer.close()


async def load(port: int, work: list[tuple[bytes, str]], total: int, concurrency: int) -> Round:
    """`total` requests from `concurrency` users, each sending its next request when answered."""
    result, tickets = Round(), itertools.count()
    started = time.perf_counter()
    await asyncio.gather(*(user(port, work, tickets, total, result) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result
