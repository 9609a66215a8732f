"""CPU per request without HTTP: rnnlab's app and the bare one, called in-process through ASGI.

    .venv/bin/python scripts/bench_asgi.py                       # /classify and /add, rnnlab and bare
    .venv/bin/python scripts/bench_asgi.py --endpoints classify --steps   # and the route's steps

scripts/bench_service.py measures over HTTP, with uvicorn and a load generator sharing the CPUs;
this calls each app directly (`await app(scope, receive, send)`) from `--concurrency` tasks on one
uvloop, with the same requests (scripts/bench_http.py), so that it measures the app alone and runs
under a profiler. The figure is the process's CPU time over the requests (all threads: the batch
runs in a pool thread when it is expensive). `--steps` adds the CPU time of each step of /classify,
measured with time.thread_time around the route's calls: a few hundred nanoseconds a call higher.
"""

import argparse
import asyncio
import collections
import functools
import time
from collections.abc import Callable
from typing import Any

from bench_http import bare_app, workloads

STEPS = ["image_part", "mnist_png", "png_data_url", "shape_response", "count_predictions"]


def asgi_request(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """A raw HTTP/1.1 request (bench_http's) -> an ASGI scope and its body."""
    head, body = raw.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.split(b"\r\n")
    method, target, _ = request_line.decode().split(" ")
    path, _, query = target.partition("?")
    headers = [(name.lower(), value) for name, value in (line.split(b": ", 1) for line in header_lines)]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    """One request through the app; its status."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client never disconnects
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app({**scope, "state": {}}, receive, send)
    return status


async def cpu_per_request(
    app: Any, requests: list[tuple[dict[str, Any], bytes]], total: int, concurrency: int
) -> float:
    """Process CPU µs per request over `total` requests from `concurrency` tasks; every answer must be 200."""
    tickets = iter(range(total))
    statuses: collections.Counter[int] = collections.Counter()

    async def user() -> None:
        for ticket in tickets:
            statuses[await call(app, *requests[ticket % len(requests)])] += 1

    started = time.process_time()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    if set(statuses) != {200}:
        raise RuntimeError(f"statuses {dict(statuses)}")
    return (time.process_time() - started) / total * 1e6


def timed_steps(module: Any, names: list[str]) -> collections.Counter[str]:
    """Wrap module.<name> for each name to add its thread CPU time (ns) to the returned counter."""
    spent: collections.Counter[str] = collections.Counter()

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time_ns()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.thread_time_ns() - started

        return timed

    for name in names:
        setattr(module, name, wrap(name, getattr(module, name)))
    return spent


async def main(args: argparse.Namespace) -> None:
    from app.main import create_app  # after parsing: --help stays quick
    from app.routers import classify

    work = workloads()
    rnnlab = create_app()
    spent = timed_steps(classify, STEPS) if args.steps else None
    async with rnnlab.router.lifespan_context(rnnlab):
        print(
            f"{args.requests:,} requests per figure at concurrency {args.concurrency}, after {args.warmup:,} to warm up"
        )
        print("| endpoint | bare CPU µs/req | rnnlab CPU µs/req |\n| --- | --- | --- |")
        for endpoint in args.endpoints:
            requests = [asgi_request(raw) for raw, _ in work[endpoint]]
            figures = []
            for app in (bare_app, rnnlab):
                await cpu_per_request(app, requests, args.warmup, args.concurrency)
                if spent is not None:
                    spent.clear()
                figures.append(await cpu_per_request(app, requests, args.requests, args.concurrency))
            print(f"| /{endpoint} | {figures[0]:.0f} | {figures[1]:.0f} |")
            if spent and endpoint.startswith("classify"):
                for name in STEPS:
                    print(f"|   {name} | | {spent[name] / args.requests / 1e3:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", nargs="+", default=["classify", "add"], choices=sorted(workloads(1)))
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--steps", action="store_true", help="the CPU time of each step of /classify")
    arguments = parser.parse_args()
    import uvloop

    uvloop.run(main(arguments))
