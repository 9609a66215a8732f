"""What users and attackers send, over real HTTP to a live uvicorn: a specific 4xx with a useful detail
for each bad input, never a 5xx, and a server that still answers correctly afterwards.

Every upload is made here, in code (tests/app/uploads.py); tests/app/service/test_unusual_images.py has the
valid but unusual ones, which must be classified.
"""

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.app import uploads
from tests.conftest import Server

CAP = 10 * 1024 * 1024  # RNNLAB_MAX_UPLOAD_BYTES's default
FORMATS = "allowed: PNG, JPEG, GIF, BMP, WebP"
SEVEN = uploads.SEVEN_PNG


@dataclass(frozen=True)
class Case:
    name: str  # what is wrong with the request
    status: int
    detail: str  # a fragment that the JSON `detail` must contain; on /v2, the protocol's `error`
    path: str = "/classify"
    method: str = "POST"
    options: dict[str, Any] = field(default_factory=dict)  # httpx.Client.request keywords


def image(data: bytes, name: str, status: int, detail: str, query: str = "") -> Case:
    return Case(name, status, detail, "/classify" + query, options={"files": {"file": ("upload.png", data)}})


def add(body: object, name: str, status: int, detail: str) -> Case:
    return Case(name, status, detail, "/add", options={"json": body})


def raw_add(content: bytes, name: str, status: int, detail: str, content_type: str = "application/json") -> Case:
    return Case(name, status, detail, "/add", options={"content": content, "headers": {"content-type": content_type}})


def infer(body: object, name: str, status: int, error: str, model: str = "mnist-gru-128", **headers: str) -> Case:
    """A request to the Open Inference Protocol's /v2/models/{model}/infer: JSON, or raw bytes with headers."""
    options = {"content": body, "headers": headers} if isinstance(body, bytes) else {"json": body}
    return Case(name, status, error, f"/v2/models/{model}/infer", options=options)


def binary(data: bytes, name: str, status: int, error: str, declared: int | None = None) -> Case:
    """`image` [1] in binary data, as tritonclient sends it; the JSON declares `declared` bytes (default: as sent)."""
    element = len(data).to_bytes(4, "little") + data
    size = len(element) if declared is None else declared
    header = json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                     "parameters": {"binary_data_size": size}}]}).encode()  # fmt: skip
    return infer(header + element, name, status, error, **{"Inference-Header-Content-Length": str(len(header))})


def multipart(content: bytes, name: str, status: int, detail: str, boundary: str = "; boundary=xyz") -> Case:
    headers = {"content-type": "multipart/form-data" + boundary}
    return Case(name, status, detail, options={"content": content, "headers": headers})


IHDR_CRC, IDAT = uploads.chunk_offset(SEVEN, b"IHDR") + 13, uploads.chunk_offset(SEVEN, b"IDAT")
CLASSIFY_CASES = [
    Case("empty body", 422, "body.file: Field required"),
    multipart(b"--xyz--\r\n", "multipart without parts", 422, "body.file: Field required"),
    Case("missing file field", 422, "body.file: Field required", options={"data": {"model": "all"}}),
    Case("wrong field name", 422, "body.file: Field required", options={"files": {"image": ("a.png", SEVEN)}}),
    Case("file sent as a text value", 422, "body.file: send an image file", options={"files": {"file": (None, b"7")}}),
    Case("urlencoded form", 422, "body.file: send an image file", options={"data": {"file": "seven.png"}}),
    Case("JSON instead of multipart", 422, "body.file: Field required", options={"json": {"file": "aGVsbG8="}}),
    multipart(b"x", "multipart without boundary", 400, "Missing boundary in multipart", boundary=""),
    multipart(b"garbage", "malformed multipart", 400, "Invalid multipart data"),
    multipart(
        b"--xyz\r\nContent-Disposition: form-data; name=file; filename=a\r\n\r\n" + SEVEN,
        "unclosed form",
        422,
        "body.file: Field required",
    ),
    Case("GET instead of POST", 405, "Method Not Allowed", method="GET"),
    image(b"", "empty file", 415, FORMATS),
    image(b"seven, as text\n" * 20, "text file", 415, FORMATS),
    image(uploads.pdf_file(), "PDF", 415, FORMATS),
    image(uploads.zip_file(), "ZIP holding a PNG", 415, FORMATS),
    image(uploads.svg_file(), "SVG", 415, FORMATS),
    image(uploads.heic_like(), "HEIC-like ISO-BMFF file", 415, FORMATS),
    image(uploads.encode(uploads.draw_seven(), "TIFF"), "TIFF", 415, FORMATS),
    image(SEVEN[:8], "PNG signature alone", 400, "cannot read the PNG header: it is malformed"),
    image(SEVEN[: len(SEVEN) // 2], "truncated PNG", 400, "cannot decode the PNG image"),
    image(uploads.encode(uploads.draw_seven(), "JPEG")[:400], "truncated JPEG", 400, "cannot decode the JPEG image"),
    image(uploads.encode(uploads.draw_seven(), "GIF")[:200], "truncated GIF", 400, "cannot decode the GIF image"),
    image(b"RIFF\0\0\0\0WEBPVP8 " + bytes(64), "WebP header without data", 400, "cannot read the WEBP header"),
    image(uploads.flip_byte(SEVEN, IHDR_CRC), "corrupted IHDR CRC", 400, "cannot read the PNG header: it is malformed"),
    image(uploads.flip_byte(SEVEN, IDAT + 4), "corrupted IDAT data", 400, "cannot decode the PNG image"),
    image(uploads.png_header(100_000, 100_000), "PNG claiming 100,000 x 100,000", 413, "image has too many pixels"),
    image(uploads.jpeg_claiming(65_000, 65_000), "JPEG claiming 65,000 x 65,000", 413, "too many pixels"),
    image(uploads.gif_claiming(65_535, 65_535), "GIF claiming 65,535 x 65,535", 413, "too many pixels"),
    image(uploads.png_header(0, 0), "PNG of 0 x 0", 400, "cannot read the PNG header: it is malformed"),
    image(uploads.encode(Image.new("L", (1, 10_000), 255)), "blank 1 x 10,000", 422, "no ink found"),
    image(uploads.encode(Image.new("RGB", (64, 64), (90, 120, 200))), "uniform colour", 422, "no ink found"),
    image(b"\x89PNG\r\n\x1a\n" + bytes(CAP), "upload over the byte cap", 413, "RNNLAB_MAX_UPLOAD_BYTES"),
    image(SEVEN, "unknown model", 404, "unknown digit model 'mnist-cnn'", "?model=mnist-cnn"),
    image(SEVEN, "an adder as digit model", 404, "unknown digit model 'adder-lstm-10'", "?model=adder-lstm-10"),
    image(SEVEN, "empty model", 422, "query.model: String should have at least 1 character", "?model="),
    image(SEVEN, "model name of 101 characters", 422, "at most 100 characters", "?model=" + "m" * 101),
    image(SEVEN, "model with a NUL", 422, "query.model: String should match pattern", "?model=%00"),
    image(SEVEN, "model as a path", 422, "query.model: String should match pattern", "?model=../../etc/passwd"),
]
ADD_CASES = [
    raw_add(b"", "empty body", 422, "body: Field required"),
    raw_add(b'{"a": "1", ', "invalid JSON", 422, "the body is not valid JSON"),
    raw_add(b"[" * 100_000 + b"]" * 100_000, "JSON nested 100,000 deep", 400, "error parsing the body"),
    raw_add(b'{"a": "1\xff", "b": "1"}', "invalid UTF-8", 400, "error parsing the body"),
    raw_add(b'{"a": NaN, "b": "1"}', "NaN as a", 422, "body.a: Input should be a valid string"),
    raw_add(b"a=1&b=1", "form-encoded body", 422, "send a JSON object", "application/x-www-form-urlencoded"),
    add(["1", "1"], "JSON array", 422, "send a JSON object"),
    raw_add(b"null", "JSON null", 422, "send a JSON object"),
    add({"a": "1"}, "b missing", 422, "body.b: Field required"),
    add({}, "both missing", 422, "body.a: Field required; body.b: Field required"),
    add({"a": "1", "b": "1", "c": "1"}, "extra field", 422, "body.c: Extra inputs are not permitted"),
    add({"a": "", "b": "1"}, "empty a", 422, "body.a: String should have at least 1 character"),
    add({"a": "1", "b": ""}, "empty b", 422, "body.b: String should have at least 1 character"),
    add({"a": "1021", "b": "1"}, "a 2 in a", 422, "body.a: String should match pattern '^[01]+$'"),
    add({"a": " 101", "b": "1"}, "leading space", 422, "body.a: String should match pattern"),
    add({"a": "101\n", "b": "1"}, "trailing newline", 422, "body.a: String should match pattern"),
    add({"a": "1\t01", "b": "1"}, "inner tab", 422, "body.a: String should match pattern"),
    add({"a": "١٠١", "b": "1"}, "Arabic-Indic digits", 422, "body.a: String should match pattern"),
    add({"a": "１０１", "b": "1"}, "fullwidth digits", 422, "body.a: String should match pattern"),
    add({"a": "0b101", "b": "1"}, "0b prefix", 422, "body.a: String should match pattern"),
    add({"a": "-101", "b": "1"}, "negative", 422, "body.a: String should match pattern"),
    add({"a": "1" * 10_001, "b": "1"}, "a over RNNLAB_MAX_BITS", 422, "has 10001 bits; at most 10000 are allowed"),
    add({"a": 101, "b": "1"}, "a as a number", 422, "body.a: Input should be a valid string"),
    add({"a": ["1", "0"], "b": "1"}, "a as a list", 422, "body.a: Input should be a valid string"),
    add({"a": None, "b": "1"}, "a as null", 422, "body.a: Input should be a valid string"),
    add({"a": True, "b": "1"}, "a as a boolean", 422, "body.a: Input should be a valid string"),
    add({"a": {"bits": "1"}, "b": "1"}, "a as an object", 422, "body.a: Input should be a valid string"),
    raw_add(b'{"a": "\\ud800", "b": "1"}', "lone surrogate", 422, "body.a: Input should be a valid string"),
    add({"a": "1", "b": "1", "model": "adder-gpt"}, "unknown adder", 404, "unknown adder model 'adder-gpt'"),
    add({"a": "1", "b": "1", "model": "mnist-gru-128"}, "a digit model as adder", 404, "unknown adder model"),
    add({"a": "1", "b": "1", "model": 10}, "model as a number", 422, "body.model: Input should be a valid string"),
    add(
        {"a": "1", "b": "1", "model": "m" * 5000},
        "model name of 5,000 characters",
        422,
        "body.model: String should have at most 100 characters",
    ),
    add({"a": "1" * CAP, "b": "1"}, "body over the byte cap", 413, "RNNLAB_MAX_UPLOAD_BYTES"),
    Case("GET instead of POST", 405, "Method Not Allowed", "/add", "GET"),
]


PIXELS = {"name": "pixels", "shape": [1, 28, 28], "datatype": "FP32", "data": [0.0] * 784}
LENGTH = "Inference-Header-Content-Length"
V2_CASES = [
    infer(b"", "empty body", 400, "the inference request is malformed: Invalid JSON"),
    infer({"inputs": []}, "no inputs", 400, "inputs: List should have at least 1 item"),
    infer({"inputs": [{**PIXELS, "shape": [1, 28, 27]}]}, "wrong shape", 400, "it must be [N, 28, 28]"),
    infer({"inputs": [{**PIXELS, "datatype": "FP64"}]}, "wrong datatype", 400, "must be FP32, not FP64"),
    infer({"inputs": [{**PIXELS, "name": "input0"}]}, "unknown input", 400, "unknown input 'input0'"),
    infer({"inputs": [PIXELS]}, "unknown model", 404, "unknown model 'mnist-cnn'", model="mnist-cnn"),
    infer({"inputs": [{**PIXELS, "data": [9.0] * 784}]}, "pixels out of [0, 1]", 400, "values in [0, 1]"),
    infer(b"{}", "JSON length past the body", 400, "the body has 2 bytes", **{LENGTH: "3"}),
    binary(b"%PDF-1.4", "a PDF as image", 415, "image[0]: not an image this service reads"),
    binary(SEVEN, "less binary data than declared", 400, "runs past the body's end", declared=10_000),
    infer(b"1" * (CAP + 1), "body over the byte cap", 413, "RNNLAB_MAX_UPLOAD_BYTES"),
    Case("GET instead of POST", 405, "Method Not Allowed", "/v2/models/mnist-gru-128/infer", "GET"),
    Case("unknown path under /v2", 404, "Not Found", "/v2/models/mnist-gru-128/config", "GET"),
]


@pytest.fixture(scope="module")
def base_url(models_dir) -> Iterator[str]:
    """A uvicorn of its own, so that its /metrics count this suite's responses alone."""
    server = Server({"RNNLAB_MODELS_DIR": str(models_dir)})
    try:
        server.wait_until_ready()
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


@pytest.mark.parametrize(
    "case", CLASSIFY_CASES + ADD_CASES + V2_CASES, ids=lambda case: f"{case.path[:9]}: {case.name}"
)
def test_bad_input_gets_a_specific_4xx_with_a_useful_detail(http: httpx.Client, case: Case) -> None:
    """`detail` says what was wrong; on /v2, the Open Inference Protocol's `error` says it, and nothing else."""
    response = http.request(case.method, case.path, **case.options)
    assert (response.status_code, response.headers["content-type"]) == (case.status, "application/json")
    body = response.json()
    detail = body["error"] if case.path.startswith("/v2/") else body["detail"]
    assert ("detail" in body) != case.path.startswith("/v2/"), body
    assert case.detail in detail, detail
    assert len(detail) < 1000  # a long bad input is never echoed back


# ---- bodies that lie about their length: raw HTTP/1.1 on a socket ----


def exchange(base_url: str, head: bytes, pieces: list[bytes]) -> bytes:
    """Send the head, then the pieces until the server answers; return what it sent before closing."""
    host, port = base_url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head)
        for piece in pieces:
            connection.settimeout(0.05)
            try:
                answer += connection.recv(65536)  # an answer already: stop sending
                break
            except TimeoutError:
                connection.sendall(piece)
        connection.settimeout(30)
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


ADD_HEAD = b"POST /add HTTP/1.1\r\nHost: rnnlab\r\nContent-Type: application/json\r\nConnection: close\r\n"
SUM = json.dumps({"a": "1011", "b": "110"}).encode()
MIB = 1 << 20
LYING = [  # (name, head, pieces, the answer's status line and a fragment of its body)
    ("Content-Length over the cap, small body", ADD_HEAD + b"Content-Length: 20000000\r\n\r\n", [SUM],
     b"HTTP/1.1 413", b"at most 10485760 bytes are allowed (RNNLAB_MAX_UPLOAD_BYTES)"),
    ("Content-Length shorter than the body", ADD_HEAD + b"Content-Length: 5\r\n\r\n", [SUM],  # read: '{"a":'
     b"HTTP/1.1 422", b"the body is not valid JSON: Expecting value at character 5"),
    ("negative Content-Length", ADD_HEAD + b"Content-Length: -5\r\n\r\n", [SUM],
     b"HTTP/1.1 400", b"Invalid HTTP request received."),
    ("Content-Length and chunked at once", ADD_HEAD + b"Content-Length: 20\r\nTransfer-Encoding: chunked\r\n\r\n",
     [b"%x\r\n%s\r\n0\r\n\r\n" % (len(SUM), SUM)], b"HTTP/1.1 400", b"Invalid HTTP request received."),
    ("chunked body that never ends", ADD_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b'2\r\n{"\r\n',
     [b"%x\r\n%s\r\n" % (MIB, b"1" * MIB)] * 64, b"HTTP/1.1 413", b"RNNLAB_MAX_UPLOAD_BYTES"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "head", "pieces", "status", "detail"), LYING, ids=[case[0] for case in LYING])
def test_body_that_lies_about_its_length_gets_a_specific_4xx(base_url, name, head, pieces, status, detail):
    answer = exchange(base_url, head, pieces)
    assert answer.startswith(status), answer[:200]
    assert detail in answer.partition(b"\r\n\r\n")[2]


# ---- afterwards ----


def test_server_still_answers_correctly_after_the_bad_inputs(http, mnist_digits):
    """Runs last in this module: the server that took every case above classifies and adds correctly."""
    for digit in mnist_digits[:10]:
        assert http.post("/classify", files={"file": ("upload", digit.png)}).json()["digit"] == digit.label
    answer = http.post("/add", json={"a": "1" * 64, "b": "1"}).json()
    assert (answer["sum"], answer["expected"], answer["correct"]) == ("1" + "0" * 64, "1" + "0" * 64, True)
    statuses = [
        line.split('status="')[1][0]
        for line in http.get("/metrics").text.splitlines()
        if line.startswith("rnnlab_http_requests_total{")
    ]
    assert statuses and "5" not in statuses  # not one 5xx across the suite
