"""Shared fixtures: the app over the real model store, in-process (`client`) and over HTTP (`live_server`).

    def test_zoo(client):                      # TestClient with the lifespan run (models loaded)
        assert client.get("/models").status_code == 200

    def test_page(live_server):                # "http://127.0.0.1:PORT", uvicorn in a subprocess
        httpx.get(f"{live_server}/health/ready")

The store is the repo's models_store/, or RNNLAB_MODELS_DIR when set. Fixtures that need
checkpoints skip, with the reason, when the store has none of the kind they need.
"""

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = Path(os.environ.get("RNNLAB_MODELS_DIR", REPO / "models_store"))
MNIST_DIR = REPO.parent / "shared" / "mnist"  # the t10k IDX files, outside the repo
READY_TIMEOUT = 60.0  # seconds a server may take to report ready before the fixture gives up
MNIST_SAMPLES = 60  # the first test digits, enough for an accuracy check that takes a second


@dataclass(frozen=True)
class Digit:
    png: bytes  # the MNIST test image, as an upload would carry it
    pixels: np.ndarray  # (28, 28) float32 in [0, 1]
    label: int


def tasks_in(store: Path) -> set[str]:
    """The tasks ("digits", "adder") that have at least one checkpoint in `store`."""
    from training.checkpoint import checkpoint_dirs, read_card

    return {read_card(directory)["task"] for directory in checkpoint_dirs(store)}


def require_checkpoints(task: str) -> None:
    if task not in tasks_in(MODELS_DIR):
        command = "mnist" if task == "digits" else "adder"
        how = f"train them with `python -m training {command} --model all`"
        pytest.skip(f"no {task} checkpoints in {MODELS_DIR}; {how}")


@pytest.fixture(scope="session")
def models_dir() -> Path:
    require_checkpoints("digits")
    return MODELS_DIR


@pytest.fixture(scope="session")
def client(models_dir: Path) -> Iterator[Any]:
    """A TestClient over the real model store, lifespan run: every model loaded and verified."""
    # Imported here so that tests/training runs even while app/ cannot be imported.
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    with TestClient(create_app(Settings(models_dir=models_dir))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def adder_checkpoints(models_dir: Path) -> None:
    """Skips, with the reason, tests that need adders when the store has none."""
    require_checkpoints("adder")


@pytest.fixture
def adder_client(adder_checkpoints: None, client: Any) -> Any:
    """`client`, for tests that need adder checkpoints."""
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """`uvicorn app.main:app` in a subprocess on a free local port, from the repo root, with this
    interpreter; with `module="app"`, `python -m app` (the workers of scripts/serve) instead."""

    def __init__(self, env: dict[str, str], module: str = "uvicorn"):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # The log is a file, not a pipe: nobody reads a pipe while the server runs, and a full one would
        # stall it. stop() closes it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        target = ["app.main:app"] if module == "uvicorn" else []
        command = [sys.executable, "-m", module, *target, "--host", "127.0.0.1", "--port", str(self.port)]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_until_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Poll /health/ready until it answers 200; return the seconds since Popen; raise if it dies or is late."""
        while time.perf_counter() - self.started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode} before it was ready")
            try:
                if httpx.get(f"{self.base_url}/health/ready", timeout=1.0).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.02)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def spawn_server() -> Iterator[Callable[[Path], Server]]:
    """spawn_server(models_dir) -> a started Server over that store; every one is stopped after the test."""
    servers: list[Server] = []

    def spawn(models_dir: Path) -> Server:
        servers.append(Server({"RNNLAB_MODELS_DIR": str(models_dir)}))
        return servers[-1]

    yield spawn
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_server(models_dir: Path) -> Iterator[str]:
    """The base URL of a real uvicorn serving the model store, started once per session."""
    server = Server({"RNNLAB_MODELS_DIR": str(models_dir)})
    try:
        server.wait_until_ready()
    except RuntimeError as error:
        output = server.output()
        server.stop()
        pytest.fail(f"{error}; its log:\n{output[-4000:]}")
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mnist_digits() -> list[Digit]:
    """The first MNIST test digits as PNG uploads, with their labels: the oracle for /classify."""
    from training.mnist import read_idx

    images, labels = MNIST_DIR / "t10k-images-idx3-ubyte.gz", MNIST_DIR / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        pytest.skip(f"no MNIST test set in {MNIST_DIR}")
    digits = []
    for image, label in zip(read_idx(images)[:MNIST_SAMPLES], read_idx(labels)[:MNIST_SAMPLES], strict=True):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        digits.append(Digit(buffer.getvalue(), image.astype(np.float32) / 255, int(label)))
    return digits
