"""GET /metrics: Prometheus text, labelled by route template, one registry per app."""

import re

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings


def samples(client, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """{sorted labels: value} of one metric family's samples named `name`."""
    text = client.get("/metrics").text
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def requests(client, route: str, status: str, method: str = "GET") -> float:
    key = (("method", method), ("route", route), ("status", status))
    return samples(client, "rnnlab_http_requests_total").get(key, 0.0)


def test_metrics_count_requests_by_route_template_not_raw_path(client):
    before = requests(client, "/models/{name}", "404")
    client.get("/models/no-such-model")
    client.get("/models/another-missing-model")
    assert requests(client, "/models/{name}", "404") == before + 2
    text = client.get("/metrics").text
    assert "no-such-model" not in text


def test_metrics_give_unmatched_paths_one_label(client):
    before = requests(client, "unmatched", "404")
    client.get("/wp-admin/login.php")
    client.get("/.env")
    assert requests(client, "unmatched", "404") == before + 2


def test_metrics_time_requests_in_a_histogram(client):
    client.get("/health/live")
    buckets = samples(client, "rnnlab_http_request_duration_seconds_bucket")
    live = {labels: value for labels, value in buckets.items() if ("route", "/health/live") in labels}
    assert live and max(live.values()) >= 1


def test_metrics_count_digit_predictions_by_model_and_class(client, mnist_digits):
    digit = mnist_digits[0]
    key = (("digit", str(digit.label)), ("model", "ensemble"))
    before = samples(client, "rnnlab_digit_predictions_total").get(key, 0.0)
    client.post("/classify", params={"model": "ensemble"}, files={"file": ("d.png", digit.png)})
    assert samples(client, "rnnlab_digit_predictions_total")[key] == before + 1


def test_metrics_count_additions_by_model(adder_client):
    answer = adder_client.post("/add", json={"a": "101", "b": "11"}).json()
    key = (("correct", str(answer["correct"]).lower()), ("model", answer["model"]))
    assert samples(adder_client, "rnnlab_additions_total")[key] >= 1
    assert samples(adder_client, "rnnlab_added_bits_total")[(("model", answer["model"]),)] >= 4


def test_metrics_are_text_format(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert re.search(r"^# TYPE rnnlab_http_requests_total counter$", response.text, re.MULTILINE)


def test_metrics_are_separate_per_app_instance(models_dir):
    with TestClient(create_app(Settings(models_dir=models_dir))) as fresh:
        fresh.get("/health/live")
        assert requests(fresh, "/health/live", "200") == 1
