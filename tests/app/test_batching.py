"""app/batching.py's Batcher on its own: a batch waits up to wait_s for company and never holds more
than max_batch items; sums of mixed widths answer as each alone; a failure stays inside its batch;
stopping fails what is queued; nothing hangs (every wait is bounded by `within`).

What a Batcher does is seen through its `run` (n items in, n results out): `recording` wraps the
real forward pass and notes the size of each batch it was handed.
"""

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pytest

from app.batching import Batcher, BatcherStopped, BatchFailed, add_by_width, classify_stacked
from app.predict import add_batch

T = TypeVar("T")
INFERENCE = ThreadPoolExecutor(max_workers=1)  # one executor for every batch, as Batchers.start makes it


def within(awaitable: Awaitable[T], seconds: float = 30) -> Awaitable[T]:
    """Every wait in these tests is bounded: a hang fails the test instead of stalling the run."""
    return asyncio.wait_for(awaitable, seconds)


def recording(run: Callable[[list[Any]], list[Any]], sizes: list[int]) -> Callable[[list[Any]], list[Any]]:
    """`run`, noting in `sizes` how many items each batch it ran held."""

    def run_and_note(items: list[Any]) -> list[Any]:
        sizes.append(len(items))
        return run(items)

    return run_and_note


def batcher_over(run: Any, wait_s: float = 0.05, max_batch: int = 64) -> Batcher[Any, Any]:
    return Batcher(name="test", run=run, max_batch=max_batch, wait_s=wait_s, executor=INFERENCE)


def test_a_batch_waits_for_company_up_to_wait_s(registry, mnist_digits):
    """The first item waits (up to wait_s) for more; an item that arrives meanwhile shares its pass."""
    model, sizes = registry.digit_models(None), []

    async def scenario() -> None:
        batcher = batcher_over(recording(partial(classify_stacked, model), sizes), wait_s=0.5)
        batcher.start()
        first = asyncio.ensure_future(batcher.submit(mnist_digits[0].pixels))
        await asyncio.sleep(0.1)
        assert not first.done()  # it waits for company
        second = await within(batcher.submit(mnist_digits[1].pixels))
        assert (await within(first)).results[0].digit == mnist_digits[0].label
        assert second.results[0].digit == mnist_digits[1].label
        await batcher.stop()

    asyncio.run(scenario())
    assert sizes == [2]


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
    model, sizes = registry.digit_models(None), []

    async def scenario() -> None:
        batcher = batcher_over(recording(partial(classify_stacked, model), sizes), max_batch=8)
        batcher.start()
        answers = await within(asyncio.gather(*(batcher.submit(d.pixels) for d in mnist_digits[:30])))
        single = classify_stacked(model, [d.pixels for d in mnist_digits[:30]])
        assert [a.results[0].digit for a in answers] == [s.results[0].digit for s in single]
        await batcher.stop()

    asyncio.run(scenario())
    assert sum(sizes) == 30 and max(sizes) == 8, sizes


def test_sums_of_mixed_widths_in_one_batch_answer_as_each_alone(registry, adder_checkpoints):
    """Sums 3 to 8 bits wide, interleaved, with steps: each answer is its own sum, in order, with its own
    columns' steps (no padding to the batch's widest sum shows), as add_batch gives it alone."""
    adder, sizes = registry.adder_model(None), []
    pairs = [("1" * (3 + 5 * (i % 2)), format(i, "b")) for i in range(20)]

    async def scenario() -> list[Any]:
        batcher = batcher_over(recording(partial(add_by_width, adder, steps=True), sizes))
        batcher.start()
        answers = await within(asyncio.gather(*(batcher.submit(pair) for pair in pairs)))
        await batcher.stop()
        return answers

    answers = asyncio.run(scenario())
    assert max(sizes) > 1  # they did share batches
    for (a, b), answer in zip(pairs, answers, strict=True):
        alone = add_batch(adder, [(a, b)], steps=True)[0]
        assert int(answer.expected, 2) == int(a, 2) + int(b, 2) and answer.expected == alone.expected
        assert (answer.sum, answer.bits, len(answer.steps)) == (alone.sum, alone.bits, alone.bits)
        np.testing.assert_allclose(answer.probabilities, alone.probabilities, rtol=0, atol=2e-6)


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
        assert leaving.cancelled()
        again = await within(batcher.submit(mnist_digits[2].pixels))  # the batcher carries on
        assert again.results[0].digit == mnist_digits[2].label
        await batcher.stop()

    asyncio.run(scenario())
