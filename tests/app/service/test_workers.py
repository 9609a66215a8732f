"""`python -m app` with two workers, live: /metrics counts every worker's requests, whichever
worker answers it, and the metrics directory goes away with the server."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server

BATCH = 24  # requests sent at a time, each on its own connection, until both workers have served some


def counted(text: str, name: str, route: str | None = None) -> float:
    """The sum of a counter's samples in Prometheus text, optionally for one route label."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") and (route is None or f'route="{route}"' in line)
    )


def worker_pids(metrics_root: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[1] for path in metrics_root.glob("rnnlab-metrics-*/counter_*.db")}


@pytest.fixture
def two_workers(models_dir, tmp_path):
    server = Server({"RNNLAB_MODELS_DIR": str(models_dir), "RNNLAB_WORKERS": "2", "TMPDIR": str(tmp_path)}, "app")
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def test_metrics_add_up_over_two_workers(two_workers, tmp_path, mnist_digits):
    def classify(png: bytes) -> int:
        with httpx.Client(base_url=two_workers.base_url, timeout=60) as client:  # a connection of its own
            return client.post("/classify", files={"file": ("d.png", png)}).status_code

    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while len(worker_pids(tmp_path)) < 2 and sent < 20 * BATCH:
            digits = [mnist_digits[(sent + i) % len(mnist_digits)].png for i in range(BATCH)]
            assert list(pool.map(classify, digits)) == [200] * BATCH
            sent += BATCH
    assert len(worker_pids(tmp_path)) == 2, "one worker served every request"
    for _ in range(6):  # whichever worker answers, on a new connection each time
        text = httpx.get(f"{two_workers.base_url}/metrics").text
        assert counted(text, "rnnlab_http_requests_total", "/classify") == sent
        assert counted(text, "rnnlab_digit_predictions_total") == sent


def test_the_metrics_directory_goes_with_the_server(two_workers, tmp_path):
    assert len(list(tmp_path.glob("rnnlab-metrics-*"))) == 1
    two_workers.stop()
    assert not list(tmp_path.glob("rnnlab-metrics-*"))
