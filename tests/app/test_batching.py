"""Micro-batching (app/batching.py): the same answers as one request at a time, batches that form
only when requests overlap, and failures that stay inside their batch and never hang.

Equality: batched and single forward passes differ in the last float32 bits. For one row, oneDNN/MKL
take a matrix-vector kernel; for several, a blocked matrix-matrix kernel that sums in another order.
The probabilities then differ by a few ULPs (at most 7e-7 measured over the zoo), which the
responses' rounding to 6 decimals can turn into 1e-6: so digits, sums and previews must be
identical, and probabilities equal within PROBABILITY_TOLERANCE.
"""

import asyncio
import random
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.batching import Batcher, BatcherStopped, BatchFailed, add_by_width, classify_stacked
from app.main import create_app
from app.predict import add_batch
from app.registry import load_registry
from app.settings import Settings

PROBABILITY_TOLERANCE = 2e-6
T = TypeVar("T")


def within(awaitable: Awaitable[T], seconds: float = 30) -> Awaitable[T]:
    """Every wait in these tests is bounded: a hang fails the test instead of stalling the run."""
    return asyncio.wait_for(awaitable, seconds)


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
    roomy = {"max_queue": 1000, "queue_timeout_s": 300}  # all 96 requests at once, on a busy machine
    batched_app = create_app(Settings(models_dir=models_dir, micro_batching=True, batch_wait_ms=50, **roomy))
    batched = asyncio.run(serve(batched_app, requests, concurrently=True))
    alone_app = create_app(Settings(models_dir=models_dir, micro_batching=False, **roomy))
    alone = asyncio.run(serve(alone_app, requests, concurrently=False))
    assert [r.status_code for r in batched] == [r.status_code for r in alone] == [200] * len(requests)
    for together, single in zip(batched, alone, strict=True):
        assert_same_answer(together.json(), single.json())


def test_overlapping_requests_share_forward_passes(models_dir, mnist_digits):
    app = create_app(Settings(models_dir=models_dir, batch_wait_ms=50))
    uploads = [{"url": "/classify", "files": {"file": ("d.png", d.png)}} for d in mnist_digits[:32]]

    async def count_batches() -> tuple[int, int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rnnlab") as client:
                await within(asyncio.gather(*(client.post(**upload) for upload in uploads)))
            batcher = app.state.batchers.digits[(app.state.registry.default_digit,)]
            return batcher.batches, batcher.largest

    batches, largest = asyncio.run(count_batches())
    assert batches < len(uploads) // 2 and largest > 2, (batches, largest)


INFERENCE = ThreadPoolExecutor(max_workers=1)  # the batchers' own thread, as Batchers.start makes it


@pytest.fixture(scope="module")
def registry(models_dir):
    return load_registry(models_dir)


def batcher_over(run: Any, wait_s: float = 0.05, max_batch: int = 64) -> Batcher[Any, Any]:
    return Batcher(name="test", run=run, max_batch=max_batch, wait_s=wait_s, executor=INFERENCE)


def test_a_batch_waits_for_company_up_to_wait_s(registry, mnist_digits):
    """The first item waits (up to wait_s) for more; an item that arrives meanwhile shares its pass."""
    model = registry.digit_models(None)

    async def scenario() -> Batcher[Any, Any]:
        batcher = batcher_over(partial(classify_stacked, model), wait_s=0.5)
        batcher.start()
        first = asyncio.ensure_future(batcher.submit(mnist_digits[0].pixels))
        await asyncio.sleep(0.1)
        assert not first.done()  # it waits for company
        second = await within(batcher.submit(mnist_digits[1].pixels))
        assert (await within(first)).results[0].digit == mnist_digits[0].label
        assert second.results[0].digit == mnist_digits[1].label
        await batcher.stop()
        return batcher

    batcher = asyncio.run(scenario())
    assert (batcher.batches, batcher.largest) == (1, 2)


def test_a_full_batch_runs_without_waiting(registry, mnist_digits):
    """RNNLAB_BATCH_WAIT_MS of a minute, yet a batch of max_batch items runs at once."""
    model = registry.digit_models(None)

    async def scenario() -> None:
        batcher = batcher_over(partial(classify_stacked, model), wait_s=60, max_batch=4)
        batcher.start()
        answers = await within(asyncio.gather(*(batcher.submit(d.pixels) for d in mnist_digits[:4])), 10)
        assert [a.results[0].digit for a in answers] == [d.label for d in mnist_digits[:4]]
        await batcher.stop()

    asyncio.run(scenario())


def test_batches_are_cut_at_max_batch(registry, mnist_digits):
    model = registry.digit_models(None)

    async def scenario() -> Batcher[Any, Any]:
        batcher = batcher_over(partial(classify_stacked, model), max_batch=8)
        batcher.start()
        answers = await within(asyncio.gather(*(batcher.submit(d.pixels) for d in mnist_digits[:30])))
        single = classify_stacked(model, [d.pixels for d in mnist_digits[:30]])
        assert [a.results[0].digit for a in answers] == [s.results[0].digit for s in single]
        await batcher.stop()
        return batcher

    batcher = asyncio.run(scenario())
    assert batcher.largest == 8 and batcher.batches >= 4


def test_adder_batches_only_sums_of_the_same_width(registry, adder_checkpoints):
    adder, widths_per_pass = registry.adder_model(None), []

    def run(model: Any, pairs: list[tuple[str, str]], steps: bool = False) -> list[Any]:  # add_batch, noting widths
        widths_per_pass.append({max(map(len, pair)) for pair in pairs})
        return add_batch(model, pairs, steps)

    pairs = [("1" * (3 + 5 * (i % 2)), "1") for i in range(20)]  # widths 3 and 8, interleaved

    async def scenario() -> list[Any]:
        batcher = batcher_over(partial(add_by_width, adder))
        batcher.start()
        answers = await within(asyncio.gather(*(batcher.submit(pair) for pair in pairs)))
        await batcher.stop()
        return answers

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.batching.add_batch", run)
        answers = asyncio.run(scenario())
    assert [answer.expected for answer in answers] == [format(int(a, 2) + 1, "b").zfill(len(a) + 1) for a, _ in pairs]
    assert all(len(widths) == 1 for widths in widths_per_pass) and len(widths_per_pass) >= 2


def test_error_in_a_batch_fails_only_that_batchs_requests(registry, mnist_digits, caplog):
    """A (27, 28) image cannot be stacked with (28, 28) ones: its batch fails; the next one runs."""
    model = registry.digit_models(None)
    good, bad = mnist_digits[0].pixels, np.zeros((27, 28), np.float32)

    async def scenario() -> None:
        batcher = batcher_over(partial(classify_stacked, model))
        batcher.start()
        first = await within(asyncio.gather(*(batcher.submit(x) for x in (good, bad, good)), return_exceptions=True))
        assert all(isinstance(outcome, BatchFailed) for outcome in first)
        assert "inference failed for a batch of 3 requests" in str(first[0])
        second = await within(asyncio.gather(*(batcher.submit(good) for _ in range(3))))
        assert [answer.results[0].digit for answer in second] == [mnist_digits[0].label] * 3
        await batcher.stop()

    asyncio.run(scenario())
    assert "a batch of 3 on test failed" in caplog.text  # with the traceback, for the operator


def test_stopping_fails_what_is_queued_and_refuses_what_comes_after(registry, mnist_digits):
    model = registry.digit_models(None)

    async def scenario() -> None:
        batcher = batcher_over(partial(classify_stacked, model), wait_s=10)
        batcher.start()
        queued = asyncio.ensure_future(batcher.submit(mnist_digits[0].pixels))  # waits for company
        await asyncio.sleep(0.05)
        await within(batcher.stop())
        with pytest.raises(BatcherStopped, match="stopped before this request's batch ran"):
            await within(queued)
        with pytest.raises(BatcherStopped, match="not running"):
            await within(batcher.submit(mnist_digits[0].pixels))

    asyncio.run(scenario())


def test_a_client_that_goes_away_does_not_break_its_batch(registry, mnist_digits):
    model = registry.digit_models(None)

    async def scenario() -> None:
        batcher = batcher_over(partial(classify_stacked, model), wait_s=0.3)
        batcher.start()
        leaving = asyncio.ensure_future(batcher.submit(mnist_digits[0].pixels))
        staying = asyncio.ensure_future(batcher.submit(mnist_digits[1].pixels))
        await asyncio.sleep(0.05)
        leaving.cancel()  # as when the client disconnects
        assert (await within(staying)).results[0].digit == mnist_digits[1].label
        assert leaving.cancelled() and not batcher.task.done()  # the collector carries on
        await batcher.stop()

    asyncio.run(scenario())


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


def test_lifespan_starts_a_batcher_per_model_group_and_stops_them(models_dir):
    app = create_app(Settings(models_dir=models_dir))
    with TestClient(app):
        batchers = app.state.batchers
        digits = [m.name for m in app.state.registry.of_task("digits")]
        assert set(batchers.digits) == {(name,) for name in digits} | {tuple(digits)}
        assert set(batchers.adders) == {m.name for m in app.state.registry.of_task("adder")}
        assert not any(batcher.task.done() for batcher in batchers.all())
    assert all(batcher.task.done() for batcher in batchers.all()) and app.state.batchers is None


def test_micro_batching_off_runs_batches_of_one(models_dir, mnist_digits):
    app = create_app(Settings(models_dir=models_dir, micro_batching=False))
    uploads = [{"url": "/classify", "files": {"file": ("d.png", d.png)}} for d in mnist_digits[:8]]

    async def scenario() -> tuple[list[httpx.Response], int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rnnlab") as client:
                responses = await within(asyncio.gather(*(client.post(**upload) for upload in uploads)))
            return responses, app.state.batchers.digits[(app.state.registry.default_digit,)].largest

    responses, largest = asyncio.run(scenario())
    assert [response.json()["digit"] for response in responses] == [d.label for d in mnist_digits[:8]]
    assert largest == 1


def test_batching_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RNNLAB_MICRO_BATCHING", "false")
    monkeypatch.setenv("RNNLAB_BATCH_WAIT_MS", "0.5")
    monkeypatch.setenv("RNNLAB_MAX_BATCH", "16")
    settings = Settings()
    assert (settings.micro_batching, settings.batch_wait_ms, settings.max_batch) == (False, 0.5, 16)


@pytest.mark.parametrize(("name", "value"), [("MAX_BATCH", "0"), ("BATCH_WAIT_MS", "-1"), ("MICRO_BATCHING", "maybe")])
def test_batching_settings_reject_nonsense(monkeypatch, name, value):
    monkeypatch.setenv(f"RNNLAB_{name}", value)
    with pytest.raises(ValueError, match=name.lower()):
        Settings()
