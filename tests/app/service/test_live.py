"""The service over real HTTP: uvicorn in a subprocess (the live_server fixture), httpx as the client."""

import select
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

PROBE_TIMEOUT_S = 3.0  # the Kubernetes probes' timeoutSeconds


def test_live_server_classifies_an_uploaded_digit(live_server, mnist_digits):
    digit = mnist_digits[0]
    response = httpx.post(f"{live_server}/classify", files={"file": ("digit.png", digit.png, "image/png")})
    assert response.status_code == 200
    assert response.json()["digit"] == digit.label


def test_live_server_adds(live_server, adder_checkpoints):
    response = httpx.post(f"{live_server}/add", json={"a": "1" * 64, "b": "1"})
    assert response.status_code == 200
    assert response.json()["expected"] == "1" + "0" * 64
    assert response.json()["correct"]


def test_live_server_serves_the_zoo_page_docs_and_metrics(live_server):
    assert httpx.get(f"{live_server}/models").json()
    assert httpx.get(f"{live_server}/").headers["content-type"].startswith("text/html")
    assert httpx.get(f"{live_server}/openapi.json").json()["info"]["title"] == "rnnlab"
    assert "rnnlab_http_requests_total" in httpx.get(f"{live_server}/metrics").text


def test_live_server_rejects_chunked_upload_over_the_cap(live_server):
    """A chunked body (no Content-Length) that never ends: the 413 comes back while the client is still
    sending, soon after the count passes the 10 MiB cap. A raw socket, so that the test sees when."""
    host, port = live_server.removeprefix("http://").split(":")
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
    mib, sent, answer = 1 << 20, 0, b""
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            b"POST /classify HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n\r\n" + b"%x\r\n%s\r\n" % (len(part), part)
        )
        while sent < 64 * mib and not answer:
            connection.sendall(b"%x\r\n%s\r\n" % (mib, bytes(mib)))
            sent += mib
            if select.select([connection], [], [], 0.05)[0]:  # the server has answered
                answer = connection.recv(65536)
        while answer.endswith(b"\r\n\r\n"):  # the headers came alone: the JSON body follows
            answer += connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"RNNLAB_MAX_UPLOAD_BYTES" in answer
    assert sent <= 20 * mib, f"the 413 came after {sent // mib} MiB"


def test_live_server_stays_responsive_while_classifying(live_server, mnist_digits):
    """Liveness answers within a probe's timeout (deploy/kubernetes: 3 s) throughout a burst of 24
    classifications by every model: no decoding or forward pass holds up the server's other requests."""

    def classify(png: bytes) -> int:
        return httpx.post(f"{live_server}/classify?model=all", files={"file": ("d.png", png)}, timeout=60).status_code

    latencies = []
    with ThreadPoolExecutor(8) as pool:
        burst = [pool.submit(classify, digit.png) for digit in mnist_digits[:24]]
        while not all(future.done() for future in burst):
            started = time.perf_counter()
            assert httpx.get(f"{live_server}/health/live", timeout=10).status_code == 200
            latencies.append(time.perf_counter() - started)
    assert [future.result() for future in burst] == [200] * len(burst)
    assert latencies and max(latencies) < PROBE_TIMEOUT_S, f"liveness took up to {max(latencies):.2f} s"
