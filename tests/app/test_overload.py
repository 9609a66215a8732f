"""Slow clients, overload and a spool without room, each against a live uvicorn with small limits:
408 for a body that arrives too slowly; 503 with Retry-After for a full queue or a wait too long in
it; 507 or 503 for an upload that cannot be spooled. Never a 500, and the server answers after."""

import resource
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.app import uploads
from tests.conftest import Server

BIG = uploads.noisy_seven(1500)  # over 1 MiB: spooled to a file


@pytest.fixture
def serve(models_dir) -> Iterator[Callable[..., Server]]:
    """serve(RNNLAB_X="1", ...) -> a ready uvicorn over the model store with those settings."""
    servers: list[Server] = []

    def start(**settings: str) -> Server:
        servers.append(Server({"RNNLAB_MODELS_DIR": str(models_dir), **settings}))
        servers[-1].wait_until_ready()
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def classify_at_once(server: Server, bodies: list[bytes]) -> list[httpx.Response]:
    """POST every body to /classify at the same time, each on its own connection."""

    def post(body: bytes) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            return client.post("/classify", files={"file": ("d.png", body)})

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def assert_overloaded(response: httpx.Response, setting: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert setting in response.json()["detail"]


def test_a_body_that_arrives_too_slowly_gets_408(serve):
    server = serve(RNNLAB_BODY_TIMEOUT_S="1")
    head = b"POST /add HTTP/1.1\r\nHost: rnnlab\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    started, answer = time.perf_counter(), b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head + b'{"a": ')
        for _ in range(20):  # a byte every 0.25 s: the connection stays busy, the body never completes
            connection.settimeout(0.25)
            try:
                answer = connection.recv(65536)
                break
            except TimeoutError:
                connection.sendall(b" ")
        connection.settimeout(10)
        while answer.endswith(b"\r\n\r\n"):  # the headers came alone: the JSON body follows
            answer += connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"RNNLAB_BODY_TIMEOUT_S" in answer
    assert time.perf_counter() - started < 4
    assert httpx.post(f"{server.base_url}/add", json={"a": "1", "b": "1"}).json()["sum"] == "10"


def test_a_full_queue_answers_503_with_retry_after(serve, mnist_digits):
    # Each request holds its place for at least the batch's wait: 16 at once cannot all fit in 2 places.
    server = serve(RNNLAB_MAX_QUEUE="2", RNNLAB_BATCH_WAIT_MS="100")
    responses = classify_at_once(server, [uploads.noisy_seven(900, seed) for seed in range(16)])
    statuses = [response.status_code for response in responses]
    assert set(statuses) == {200, 503}, statuses
    for response in responses:
        if response.status_code == 503:
            assert_overloaded(response, "RNNLAB_MAX_QUEUE")
    assert classify_at_once(server, [mnist_digits[0].png])[0].json()["digit"] == mnist_digits[0].label


def test_a_full_queue_answers_v2_inference_503_in_the_protocols_form(serve):
    server = serve(RNNLAB_MAX_QUEUE="2", RNNLAB_BATCH_WAIT_MS="100")
    tensors = [{"name": name, "shape": [1], "datatype": "BYTES", "data": ["1011"]} for name in ("a", "b")]

    def infer(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            return client.post("/v2/models/adder-lstm-10/infer", json={"inputs": tensors})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(infer, range(16)))
    assert {response.status_code for response in responses} == {200, 503}
    for response in responses:
        if response.status_code == 503:
            assert response.headers["retry-after"].isdigit()
            assert "RNNLAB_MAX_QUEUE" in response.json()["error"]
        else:
            assert response.json()["outputs"][0]["data"] == ["10110"]


def test_a_wait_in_the_queue_past_the_timeout_answers_503(serve, mnist_digits):
    # One inference at a time for 16 big uploads: the last ones wait longer for their turn than 50 ms.
    server = serve(RNNLAB_QUEUE_TIMEOUT_S="0.05", RNNLAB_INFERENCE_CONCURRENCY="1")
    responses = classify_at_once(server, [BIG] * 16)
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {200, 503} and 503 in statuses, statuses
    for response in responses:
        if response.status_code == 503:
            assert_overloaded(response, "RNNLAB_QUEUE_TIMEOUT_S")
    assert classify_at_once(server, [mnist_digits[0].png])[0].json()["digit"] == mnist_digits[0].label


def test_big_uploads_are_spooled_in_the_spool_dir_and_a_missing_one_answers_503(serve, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    server = serve(RNNLAB_SPOOL_DIR=str(spool))
    assert classify_at_once(server, [BIG])[0].status_code == 200
    shutil.rmtree(spool)  # the spool's file cannot be made
    response = classify_at_once(server, [BIG])[0]
    assert (response.status_code, response.headers.get("retry-after")) == (503, "1"), response.text
    assert "RNNLAB_SPOOL_DIR" in response.json()["detail"]


def test_a_spool_without_room_answers_507(serve):
    server = serve()
    half = len(BIG) // 2  # the server's files may grow to half the upload: the spool's write fails
    resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (half, half))
    response = classify_at_once(server, [BIG])[0]
    assert response.status_code == 507, response.text
    assert "could not store the upload (RNNLAB_SPOOL_DIR): File too large" in response.json()["detail"]
    assert httpx.post(f"{server.base_url}/add", json={"a": "1", "b": "1"}).json()["sum"] == "10"
