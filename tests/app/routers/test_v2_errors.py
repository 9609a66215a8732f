"""/v2 over HTTP: errors in the protocol's form `{"error": ...}` there and `detail` elsewhere, the
service's limits, its metrics, and inference with micro-batching off."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings
from tests.app import uploads

INFER = "/v2/models/mnist-gru-128/infer"


def pixels(count: int, value: float = 0.0) -> dict[str, Any]:
    return {"name": "pixels", "shape": [count, 28, 28], "datatype": "FP32", "data": [value] * (count * 784)}


def images(*files: bytes) -> tuple[bytes, dict[str, str]]:
    """An `image` request in binary data, as tritonclient sends it: the JSON, then length-prefixed files."""
    data = b"".join(len(file).to_bytes(4, "little") + file for file in files)
    header = (
        b'{"inputs": [{"name": "image", "shape": [%d], "datatype": "BYTES", "parameters": {"binary_data_size": %d}}]}'
        % (len(files), len(data))
    )
    return header + data, {"Inference-Header-Content-Length": str(len(header))}


def sums(a: list[str], b: list[str]) -> dict[str, Any]:
    return {"inputs": [{"name": n, "shape": [len(v)], "datatype": "BYTES", "data": v} for n, v in (("a", a), ("b", b))]}


@pytest.fixture(scope="module")
def limited(models_dir) -> Iterator[TestClient]:
    """The app with small limits, so that each is reached by a small request."""
    settings = Settings(models_dir=models_dir, max_upload_bytes=64 * 1024, max_infer_batch=4, max_bits=16)
    with TestClient(create_app(settings)) as client:
        yield client


def error(response: Any, status: int) -> str:
    assert (response.status_code, response.headers["content-type"]) == (status, "application/json"), response.text
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    return str(body["error"])


def test_paths_under_v2_that_no_route_matches_answer_in_the_protocols_form(client):
    assert error(client.get("/v2/models/mnist-gru-128/config"), 404) == "Not Found"
    assert error(client.get("/v2/repository/index"), 404) == "Not Found"
    wrong_method = client.get(INFER)
    assert error(wrong_method, 405) == "Method Not Allowed"
    assert wrong_method.headers["allow"] == "POST"
    assert client.post("/v2/models/mnist-gru-128/versions/1").headers["allow"] == "GET"


def test_the_rest_of_the_api_keeps_detail(client):
    assert client.get("/classify/now").json() == {"detail": "Not Found"}
    assert client.get("/v2x").json() == {"detail": "Not Found"}
    assert client.get("/models/mnist-cnn").json()["detail"].startswith("unknown model 'mnist-cnn'")
    assert "body.a" in client.post("/add", json={"a": "2", "b": "1"}).json()["detail"]


def test_validation_errors_keep_their_status_in_the_protocols_form(client):
    message = error(client.post(INFER, content=b"{}", headers={"Inference-Header-Content-Length": "-1"}), 422)
    assert message == "header.Inference-Header-Content-Length: Input should be greater than or equal to 0"


def test_a_body_over_the_byte_cap_is_413(limited):
    message = error(limited.post(INFER, content=b" " * (65 * 1024)), 413)
    assert "at most 65536 bytes are allowed (RNNLAB_MAX_UPLOAD_BYTES)" in message


def test_a_batch_over_the_cap_is_413(limited):
    message = error(limited.post(INFER, json={"inputs": [pixels(5)]}), 413)  # 5 blank images: 20 KB of JSON
    assert message == "a batch of 5; at most 4 are allowed (RNNLAB_MAX_INFER_BATCH)"


def test_sums_over_max_bits_are_413_and_non_binary_strings_400(limited, adder_checkpoints):
    adder = next(model["name"] for model in limited.get("/models").json() if model["task"] == "adder")
    path = f"/v2/models/{adder}/infer"
    assert "a[1] has 17 bits; at most 16" in error(limited.post(path, json=sums(["1", "1" * 17], ["1", "1"])), 413)
    assert "b[0] must be a bit string" in error(limited.post(path, json=sums(["1"], ["12"])), 400)


def test_images_refused_as_classify_refuses_them_each_named_by_its_index(client):
    seven = uploads.encode(uploads.draw_seven(), "PNG")
    cases = [
        (images(seven, b"%PDF-1.4 not an image"), 415, "image[1]: not an image this service reads"),
        (images(seven[: len(seven) // 2]), 400, "image[0]: cannot decode the PNG image"),
        (images(seven, seven, uploads.png_header(100_000, 100_000)), 413, "image[2]: image has too many pixels"),
        (images(uploads.encode(uploads.draw_seven(ink=255))), 422, "image[0]: no ink found"),
    ]
    for (content, headers), status, message in cases:
        assert message in error(client.post(INFER, content=content, headers=headers), status)


def test_pixels_out_of_range_are_400(client):
    assert "values in [0, 1]" in error(client.post(INFER, json={"inputs": [pixels(1, value=255.0)]}), 400)


def metric(client: TestClient, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    return 0.0


def test_requests_and_predictions_are_counted_as_classify_counts_them(limited):
    route = {"method": "POST", "route": "/v2/models/{name}/infer"}
    before = metric(limited, "rnnlab_digit_predictions_total", model="mnist-gru-128")
    requests = metric(limited, "rnnlab_http_requests_total", **route, status="200")
    content, headers = images(*[uploads.encode(uploads.draw_seven(), "PNG")] * 3)
    response = limited.post(INFER, content=content, headers=headers)
    assert response.status_code == 200 and response.json()["outputs"][1]["data"] == [7, 7, 7]
    assert metric(limited, "rnnlab_digit_predictions_total", model="mnist-gru-128") == before + 3
    assert metric(limited, "rnnlab_http_requests_total", **route, status="200") == requests + 1


def test_inference_without_micro_batching_gives_the_same_answers(models_dir, client):
    request = {"inputs": [pixels(2, value=0.5)], "outputs": [{"name": "probabilities"}]}
    batched = client.post(INFER, json=request).json()["outputs"][0]
    with TestClient(create_app(Settings(models_dir=models_dir, micro_batching=False))) as unbatched:
        alone = unbatched.post(INFER, json=request).json()["outputs"][0]
    assert alone["shape"] == batched["shape"] == [2, 10]
    assert alone["data"] == pytest.approx(batched["data"], abs=1e-6)  # a batch's size moves the last bits
