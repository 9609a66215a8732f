"""The request-body cap (RNNLAB_MAX_UPLOAD_BYTES): enforced while the body arrives, whatever the headers say."""

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

CAP = 4096  # bytes: small, so that tests can cross it cheaply


@pytest.fixture(scope="module")
def capped(models_dir):
    with TestClient(create_app(Settings(models_dir=models_dir, max_upload_bytes=CAP))) as client:
        yield client


FILE_PART = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'


def chunks(total: int, size: int = 1024):
    """A multipart body with no Content-Length (httpx sends it chunked): one file part that goes on and on."""
    yield FILE_PART
    for start in range(0, total, size):
        yield bytes(min(size, total - start))


def test_upload_within_the_cap_reaches_the_image_checks(capped):
    response = capped.post("/classify", files={"file": ("x.png", b"not an image")})
    assert response.status_code == 415  # past the byte cap, refused for what it is


def test_upload_rejects_declared_length_over_the_cap(capped):
    response = capped.post("/classify", files={"file": ("x.png", bytes(CAP + 1))})
    assert response.status_code == 413
    assert f"at most {CAP} bytes" in response.json()["detail"]


def test_upload_rejects_chunked_body_over_the_cap(capped):
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    response = capped.post("/classify", content=chunks(CAP * 50), headers=headers)
    assert response.status_code == 413
    assert "RNNLAB_MAX_UPLOAD_BYTES" in response.json()["detail"]


def test_add_rejects_json_body_over_the_cap(capped):
    response = capped.post("/add", json={"a": "1" * CAP, "b": "1"})
    assert response.status_code == 413


def call_with_lying_length(app, declared: int, body: bytes, piece: int) -> tuple[int, dict, int]:
    """Drive the ASGI app directly: a Content-Length header of `declared`, then `body` in pieces."""
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    sent: list[dict] = []
    read = 0

    async def receive():
        nonlocal read
        if read < len(pieces):
            read += 1
            return {"type": "http.request", "body": pieces[read - 1], "more_body": read < len(pieces)}
        await asyncio.sleep(3600)  # no more body; a client that waits for the answer

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/add", "raw_path": b"/add", "root_path": "", "query_string": b"", "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(declared).encode())],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body_bytes = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body_bytes), read


def test_upload_rejects_body_longer_than_its_content_length_claims(capped):
    body = json.dumps({"a": "1" * (CAP * 4), "b": "1"}).encode()
    status, answer, pieces_read = call_with_lying_length(capped.app, declared=100, body=body, piece=512)
    assert status == 413
    assert f"at most {CAP} bytes" in answer["detail"]
    assert pieces_read == CAP // 512 + 1  # it stopped at the first piece past the cap, not at the end
