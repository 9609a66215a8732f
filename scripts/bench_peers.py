"""rnnlab against the servers users would pick instead, on the uploads users send.

    .venv/bin/python scripts/bench_peers.py                                  # 2 rounds, 20 s a cell: ~8 minutes
    .venv/bin/python scripts/bench_peers.py --rounds 1 --duration 3          # a smoke run
    .venv/bin/python scripts/bench_peers.py --servers rnnlab --soak 50000    # 50,000 mixed uploads at c=64

The peers (scripts/peers/): the usual FastAPI demo (UploadFile, PIL grey/invert/resize, one call of
rnnlab's committed mnist-lstm-128 per request) and LitServe (the same pipeline, dynamic batches of
up to 16 within 2 ms, workers_per_device=2). Every server runs 2 workers; rnnlab gets /classify with
its default model. Load comes from wrk in its own process at c=16, rotating through 10 different
uploads of each kind (scripts/uploads.py): the page's canvas PNG, 1280x1280 JPEG photos, 12 MP
JPEGs. The servers take turns, in another order each round; each cell is preceded by a warm-up.
The table gives each cell's median over the rounds: req/s (the range over rounds), p50 and p99, and
the CPU time the server's processes spent per answer (less sensitive to a busy machine than req/s).

--soak sends at least N uploads of the kinds listed, mixed, at c=64 (in slices of 30 s) to each
server listed, and reports the answers by status and the server's RSS (all its processes): ready,
after a warm-up slice of the same mix, and after each slice; the growth is the last over the
warm-up's figure.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import uploads

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BOUNDARY = "rnnlabbenchboundary"
NAMES = {"rnnlab": "rnnlab", "demo": "the usual FastAPI demo", "litserve": "LitServe, dynamic batching"}
KIND_NAMES = {"canvas": "the page's 560x560 canvas PNG", "photo": "1280x1280 JPEG photos", "12mp": "12 MP JPEGs"}
LUA = """
local bodies, path, counts = {}, nil, {}
function init(args)
  path = args[1]
  for i = 2, #args do local f = io.open(args[i], "rb"); bodies[#bodies + 1] = f:read("*a"); f:close() end
  ok = 0; busy = 0; other = 0
end
local n = 0
function request()
  n = n % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = "multipart/form-data; boundary=BOUNDARY"}, bodies[n])
end
function response(status)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency)
  local ok, busy, other = 0, 0, 0
  for _, t in ipairs(threads) do ok = ok + t:get("ok"); busy = busy + t:get("busy"); other = other + t:get("other") end
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, ' ..
    '"ok": %d, "busy": %d, "other": %d, "socket_errors": %d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, ok, busy, other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
""".replace("BOUNDARY", BOUNDARY)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str  # the classify endpoint
    ready: str  # the readiness probe

    def rss_mib(self) -> float:
        """Resident memory of the server's processes, all of them, in MiB."""
        root = psutil.Process(self.process.pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far, all of them."""
        root = psutil.Process(self.process.pid)
        times = [p.cpu_times() for p in [root, *root.children(recursive=True)] if p.is_running()]
        return sum(t.user + t.system for t in times)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(name: str, log: Path) -> Server:
    """One server with 2 workers on a free local port; its output goes to `log`."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'scripts' / 'peers'}", "RNNLAB_WORKERS": "2"}
    host = ["--host", "127.0.0.1", "--port", str(port)]
    commands = {
        "rnnlab": ([PYTHON, "-m", "app", *host], "/classify", "/health/ready"),
        "demo": ([PYTHON, "-m", "uvicorn", "demo:app", "--workers", "2", *host], "/predict", "/health"),
        "litserve": ([PYTHON, str(REPO / "scripts/peers/litserve_app.py"), "--port", str(port)], "/predict", "/health"),
    }
    command, path, ready = commands[name]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output, start_new_session=True)
    server = Server(name, process, f"http://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}{ready}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        try:
            if httpx.get(server.ready, timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} was not ready within 120 s; see {log}")


def multipart(data: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n\r\n'
    return head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def write_bodies(folder: Path, kinds: list[str]) -> dict[str, list[Path]]:
    """Each kind's uploads as multipart bodies in files, for wrk's script to read."""
    bodies: dict[str, list[Path]] = {}
    for kind in kinds:
        make = uploads.KINDS[kind]
        bodies[kind] = []
        for index, (_, data) in enumerate(make()):
            path = folder / f"{kind}-{index}.body"
            path.write_bytes(multipart(data))
            bodies[kind].append(path)
    return bodies


def wrk(server: Server, bodies: list[Path], script: Path, seconds: float, connections: int) -> dict:
    """Load from wrk (2 threads) for `seconds`; its summary as a dict."""
    path = "/" + server.url.split("/", 3)[3]  # http://host:port/path -> /path
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script)]
    output = subprocess.run([*command, server.url, "--", path, *map(str, bodies)], capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def compare(args: argparse.Namespace, bodies: dict[str, list[Path]], script: Path, log: Path) -> None:
    cells: dict[tuple[str, str], list[dict]] = {}
    for round_ in range(args.rounds):
        order = args.servers if round_ % 2 == 0 else args.servers[::-1]
        for name in order:
            server = start(name, log)
            try:
                wrk(server, bodies["canvas"], script, args.warmup, args.connections)
                for kind in args.kinds:
                    wrk(server, bodies[kind], script, min(args.warmup, 3), args.connections)
                    cpu = server.cpu_seconds()
                    result = wrk(server, bodies[kind], script, args.duration, args.connections)
                    result["cpu_ms"] = 1000 * (server.cpu_seconds() - cpu) / max(result["requests"], 1)
                    cells.setdefault((name, kind), []).append(result)
                    print(f"round {round_ + 1} {name} {kind}: {json.dumps(result)}", flush=True)
            finally:
                server.stop()
    print(table(cells, args.servers, args.kinds))


def table(cells: dict[tuple[str, str], list[dict]], servers: list[str], kinds: list[str]) -> str:
    lines = ["| upload | " + " | ".join(NAMES[s] for s in servers) + " |", "| --- |" + " --- |" * len(servers)]
    for kind in kinds:
        row = []
        for server in servers:
            runs = cells[(server, kind)]
            rps = [run["rps"] for run in runs]
            p50, p99, cpu = (statistics.median(run[key] for run in runs) for key in ("p50_ms", "p99_ms", "cpu_ms"))
            failed = sum(run["other"] + run["busy"] + run["socket_errors"] for run in runs)
            row.append(
                f"{statistics.median(rps):.1f} req/s ({min(rps):.1f}-{max(rps):.1f}), p50 {p50:.0f} ms, "
                f"p99 {p99:.0f} ms, CPU {cpu:.1f} ms/req" + (f", {failed} not 200" if failed else "")
            )
        lines.append(f"| {KIND_NAMES[kind]} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def soak(args: argparse.Namespace, bodies: dict[str, list[Path]], script: Path, log: Path) -> None:
    """At c=64, slices of 30 s of mixed uploads until args.soak answers; RSS after a mixed warm-up
    slice (the allocator's working set for these uploads) and after every slice."""
    mixed = [path for paths in bodies.values() for path in paths]
    for name in args.servers:
        server = start(name, log)
        try:
            started = server.rss_mib()
            wrk(server, mixed, script, 30, 64)  # the warm-up: not counted
            idle = server.rss_mib()
            slices: list[dict] = []
            rss: list[float] = []
            while sum(one["requests"] for one in slices) < args.soak:
                slices.append(wrk(server, mixed, script, 30, 64))
                rss.append(server.rss_mib())
        finally:
            server.stop()
        total = {key: sum(one[key] for one in slices) for key in ("requests", "ok", "busy", "other", "socket_errors")}
        worst_p99 = max(one["p99_ms"] for one in slices)
        print(f"soak {name}: {json.dumps(total)}, p99 at most {worst_p99:.0f} ms over {len(slices)} slices of 30 s")
        print(
            f"RSS {started:.0f} MiB ready, {idle:.0f} MiB after the warm-up slice, {rss[-1]:.0f} MiB after the run "
            f"({100 * (rss[-1] / idle - 1):+.1f} %); after each slice: {' '.join(f'{one:.0f}' for one in rss)}"
        )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--servers", nargs="+", choices=list(NAMES), default=list(NAMES))
    options.add_argument("--kinds", nargs="+", choices=list(KIND_NAMES), default=list(KIND_NAMES))
    options.add_argument("--rounds", type=int, default=2)
    options.add_argument("--duration", type=float, default=20, help="seconds of load per cell")
    options.add_argument("--warmup", type=float, default=5, help="seconds of load before a server's first cell")
    options.add_argument("--connections", type=int, default=16)
    options.add_argument("--soak", type=int, default=0, help="send this many mixed uploads at c=64 instead")
    args = options.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # `timeout` stops the servers too, through the finally blocks
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as folder:
        script, log = Path(folder) / "rotate.lua", Path(folder) / "servers.log"
        script.write_text(LUA)
        bodies = write_bodies(Path(folder), sorted({"canvas", *args.kinds}))  # canvas: the warm-ups
        try:
            (soak if args.soak else compare)(args, bodies, script, log)
        except Exception:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise


if __name__ == "__main__":
    main()
