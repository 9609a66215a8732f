"""Micro-batching through the app (app/batching.py behind /classify and /add): concurrent requests
answer as they would one at a time, share the batch wait and are each counted; with micro-batching
off nobody waits; every model group answers while the app runs, and none after it stops.

Equality: batched and single forward passes differ in the last float32 bits. For one row, oneDNN/MKL
take a matrix-vector kernel; for several, a blocked matrix-matrix kernel that sums in another order.
The probabilities then differ by a few ULPs (at most 7e-7 measured over the zoo), which the
responses' rounding to 6 decimals can turn into 1e-6: so digits, sums and previews must be
identical, and probabilities equal within PROBABILITY_TOLERANCE.
"""

import asyncio
import random
import time
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.batching import BatcherStopped, BatchFailed
from app.main import create_app
from app.settings import Settings
from tests.app.test_batching import within

PROBABILITY_TOLERANCE = 2e-6
ROOMY = {"max_queue": 1000, "queue_timeout_s": 300}  # every request at once, on a busy machine


async def serve(app: FastAPI, requests: list[dict[str, Any]], concurrently: bool) -> list[httpx.Response]:
    """Run the app's lifespan and send the requests through ASGI, all at once or one after another."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rnnlab") as client:
            if concurrently:
                return list(await within(asyncio.gather(*(client.post(**request) for request in requests))))
            return [await within(client.post(**request)) for request in requests]


def mixed_requests(mnist_digits: list[Any]) -> list[dict[str, Any]]:
    """48 uploads over four model choices, and 48 sums of a few widths, interleaved."""
    rng = random.Random(7)
    choices = [{}, {"model": "all"}, {"model": "ensemble"}, {"model": "mnist-lstm-128"}]
    uploads = [
        {"url": "/classify", "params": choices[i % 4], "files": {"file": ("d.png", digit.png)}}
        for i, digit in enumerate(mnist_digits[:48])
    ]
    widths = [rng.choice([1, 8, 32, 32, 32, 100]) for _ in range(48)]
    pairs = [(f"{rng.getrandbits(w):0{w}b}", f"{rng.getrandbits(w):b}") for w in widths]
    sums = [{"url": "/add", "json": {"a": a, "b": b}} for a, b in pairs]
    return [request for pair in zip(uploads, sums, strict=True) for request in pair]


def assert_same_answer(batched: Any, alone: Any) -> None:
    """Equal JSON answers, but for the probabilities' last digit (see the module docstring)."""
    if isinstance(alone, dict):
        assert batched.keys() == alone.keys()
        for key, value in alone.items():
            if key in ("probabilities", "confidence"):
                np.testing.assert_allclose(batched[key], value, rtol=0, atol=PROBABILITY_TOLERANCE)
            else:
                assert_same_answer(batched[key], value)
    elif isinstance(alone, list) and alone and isinstance(alone[0], dict):  # /classify?model=all's results
        assert len(batched) == len(alone)
        for together, single in zip(batched, alone, strict=True):
            assert_same_answer(together, single)
    else:
        assert batched == alone


def test_concurrent_batched_requests_answer_as_sequential_unbatched_ones(models_dir, mnist_digits, adder_checkpoints):
    requests = mixed_requests(mnist_digits)
    batched_app = create_app(Settings(models_dir=models_dir, micro_batching=True, batch_wait_ms=50, **ROOMY))
    batched = asyncio.run(serve(batched_app, requests, concurrently=True))
    alone_app = create_app(Settings(models_dir=models_dir, micro_batching=False, **ROOMY))
    alone = asyncio.run(serve(alone_app, requests, concurrently=False))
    assert [r.status_code for r in batched] == [r.status_code for r in alone] == [200] * len(requests)
    for together, single in zip(batched, alone, strict=True):
        assert_same_answer(together.json(), single.json())


def predictions_counted(metrics: str, model: str) -> float:
    """The sum of rnnlab_digit_predictions_total over every digit, for one model."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "rnnlab_digit_predictions_total" and sample.labels["model"] == model
    )


def test_overlapping_requests_share_the_batch_wait_and_each_is_counted(models_dir, mnist_digits):
    """32 uploads at once with a batch wait of a second: each answers its own digit within a few
    seconds (one after another, each first item waiting alone, they would take 32), and /metrics
    counts 32 predictions."""
    app = create_app(Settings(models_dir=models_dir, batch_wait_ms=1000, max_batch=64, **ROOMY))
    digits = mnist_digits[:32]
    uploads = [{"url": "/classify", "files": {"file": ("d.png", d.png)}} for d in digits]

    async def scenario() -> tuple[list[httpx.Response], float, str]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rnnlab") as client:
                started = time.perf_counter()
                responses = await within(asyncio.gather(*(client.post(**upload) for upload in uploads)))
                seconds = time.perf_counter() - started
                return responses, seconds, (await client.get("/metrics")).text

    responses, seconds, metrics = asyncio.run(scenario())
    assert [response.json()["digit"] for response in responses] == [d.label for d in digits]
    assert seconds < 10, f"32 overlapping requests took {seconds:.1f} s"
    assert predictions_counted(metrics, responses[0].json()["model"]) == len(digits)


def test_micro_batching_off_answers_without_the_batch_wait(models_dir, mnist_digits):
    """RNNLAB_MICRO_BATCHING=false: each request is a batch of one, so even with a batch wait of a
    second, 8 concurrent uploads all answer in less than that second."""
    app = create_app(Settings(models_dir=models_dir, micro_batching=False, batch_wait_ms=1000))
    digits = mnist_digits[:8]
    uploads = [{"url": "/classify", "files": {"file": ("d.png", d.png)}} for d in digits]

    async def scenario() -> tuple[list[httpx.Response], float]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rnnlab") as client:
                await within(client.post(**uploads[0]))  # warm up: the first pass of a model is slower
                started = time.perf_counter()
                responses = await within(asyncio.gather(*(client.post(**upload) for upload in uploads)))
                return responses, time.perf_counter() - started

    responses, seconds = asyncio.run(scenario())
    assert [response.json()["digit"] for response in responses] == [d.label for d in digits]
    assert seconds < 1.0, f"8 unbatched requests took {seconds:.2f} s: they waited for company"


def test_every_model_group_answers_while_the_app_runs_and_none_after(models_dir, mnist_digits, adder_checkpoints):
    """Each digit model, all and ensemble, and each adder, plain and with steps; after shutdown, a
    503 that says the models are not loaded, never a hang."""
    app = create_app(Settings(models_dir=models_dir))
    files = {"file": ("d.png", mnist_digits[0].png)}
    with TestClient(app) as client:
        zoo = client.get("/models").json()
        digit_models = [m["name"] for m in zoo if m["task"] == "digits"]
        adders = [m["name"] for m in zoo if m["task"] == "adder"]
        for model in [*digit_models, "all", "ensemble"]:
            for steps in ("false", "true"):
                response = client.post(f"/classify?model={model}&steps={steps}", files=files)
                assert response.status_code == 200, (model, steps, response.text)
                answer = response.json()["ensemble"] if model == "all" else response.json()
                assert answer["digit"] == mnist_digits[0].label, (model, steps)
        for model in adders:
            for steps in (False, True):
                response = client.post("/add", json={"a": "101", "b": "11", "model": model, "steps": steps})
                assert (response.status_code, response.json()["expected"]) == (200, "1000"), (model, steps)
    after = [client.post("/classify", files=files), client.post("/add", json={"a": "1", "b": "1"})]
    assert [response.status_code for response in after] == [503, 503]
    assert all("not loaded" in response.json()["detail"] for response in after)


BATCH_ERRORS = [
    (BatchFailed("inference failed for a batch of 3 requests on mnist-gru-128"), 500),
    (BatcherStopped("stop"), 503),
]


@pytest.mark.parametrize(("error", "status"), BATCH_ERRORS, ids=["BatchFailed", "BatcherStopped"])
def test_batch_errors_are_json_with_their_status(models_dir, error, status):
    app = create_app(Settings(models_dir=models_dir))

    @app.get("/batch-error")
    def fail() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/batch-error")
    assert (response.status_code, response.json()) == (status, {"detail": str(error)})
