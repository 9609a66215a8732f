"""Micro-batching: concurrent requests for the same models share one forward pass.

    app.state.batchers = ModelBatchers.start(registry, settings)     # in the lifespan, on the loop
    with expect_image(request, models):                              # the batcher may wait for this image ...
        pixels = await run_in_pool(request, preprocess, data, max_pixels)
    answer = await classify_one(request, models, pixels)             # ... (28, 28) -> ZooAnswer, batched
    result = await add_one(request, model, "1011", "110")            # -> AddResponse, batched by sum width
    await app.state.batchers.stop()                                  # anything still queued fails: 503

Each model group (one digit model; every digit model, for `all` and `ensemble`; one adder) has a
Batcher with a collector task. When an item arrives, the collector waits up to RNNLAB_BATCH_WAIT_MS
for more, but only while requests for the same models are still being preprocessed (with
`expect_image`), and never past RNNLAB_MAX_BATCH items; a lone request does not wait. The batch
then runs, one forward pass per model, while the next one gathers; under load, requests pile up
during each pass, so batches grow with the load. /add batches sums of equal width only (the padded
length), so that a short sum never runs a long one's steps.

A batch runs on the inference thread, one thread that every batcher shares, unless it is expected
to take at most RNNLAB_INLINE_BATCH_MS: then it runs on the event loop. The thread must take the
GIL back from the busy event loop after each torch call; a small batch (16 sums of 32 bits, about
0.4 ms of work) spent more time handing the GIL over than computing. A larger one is worth it: the
event loop reads and answers other requests meanwhile. Hence RNNLAB_MAX_BATCH's default of 16: at
c=32, two batches take turns, one computing while the loop handles the other's requests; with 64,
every request joined one batch and the loop waited for it. The expectation is the batcher's own
measure: calibrate() times the model at start, for a batch's fixed cost and the cost of each
item-step (image rows, or sum bits), and the latter follows the batches as a moving average. An
exception in a batch fails that batch's requests alone (BatchFailed: 500); stopping fails what
is queued (BatcherStopped: 503). With RNNLAB_MICRO_BATCHING=false, each request is a batch of one.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from fastapi import Request

from app.deps import run_in_pool
from app.predict import ZooAnswer, add_batch, classify_batch
from app.registry import LoadedModel, Registry
from app.schemas import AddResponse
from app.settings import Settings

Item = TypeVar("Item")
Result = TypeVar("Result")
log = logging.getLogger("uvicorn.error")
BLANK_IMAGE = np.zeros((28, 28), dtype=np.float32)  # what digit batchers calibrate with ...
SAMPLE_SUM = ("1" * 32, "1" * 32)  # ... and adder batchers: 32-bit operands, as the benchmark's


class BatcherStopped(RuntimeError):
    """The batcher stopped (the server is shutting down) before the item's batch ran."""

    status_code = 503


class BatchFailed(RuntimeError):
    """The forward pass of the item's batch raised; the server log has the traceback."""

    status_code = 500


@dataclass
class Pending(Generic[Item, Result]):
    item: Item
    future: "asyncio.Future[Result]"


@dataclass
class Batcher(Generic[Item, Result]):
    """Gathers the items of one model group and runs them through `run` (n items in, n results out)."""

    name: str  # the model group, for logs and errors
    run: Callable[[list[Item]], list[Result]]  # one forward pass, on the event loop or the inference thread
    key: Callable[[Item], Hashable]  # items with equal keys may share a forward pass
    steps: Callable[[Item], int]  # the time steps an item takes: 28 image rows, or a sum's width
    sample: Item  # an item to time the model with at start (calibrate)
    wait_s: float  # how long a batch may wait for the requests still on their way
    max_batch: int
    inline_s: float  # a batch expected to take at most this long runs on the event loop ...
    inference: Executor  # ... any other on this one thread (ModelBatchers.start), which every batcher shares
    pending: list[Pending[Item, Result]] = field(default_factory=list)
    coming: int = 0  # requests being preprocessed that will submit an item (expecting())
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set while `pending` is not empty
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # no need to wait: batch full, nothing coming
    task: "asyncio.Task[None] | None" = None
    batches: int = 0  # batches run so far, the items in them, and the most in one
    items: int = 0
    largest: int = 0
    batch_seconds: float = 0.0  # CPU seconds a batch costs whatever its size (calibrate) ...
    step_seconds: float = 0.0  # ... and per item-step: calibrated, then a moving average over batches

    def start(self) -> None:
        self.calibrate()
        self.task = asyncio.get_running_loop().create_task(self.collect(), name=f"batcher {self.name}")

    def calibrate(self, size: int = 16, repeats: int = 3) -> None:
        """Time batches of one sample and of `size` samples (the fastest of a few runs each): their
        difference is the cost of the extra item-steps, the rest the cost of a batch. A pass over
        one image costs as much as over six (bilstm), so a cost per item-step alone would expect a
        batch of 16 to take 6 times too long."""
        one, many = (
            min(timed(run_by_key, self.run, self.key, [self.sample] * count)[1] for _ in range(repeats))
            for count in (1, size)
        )
        steps = self.steps(self.sample)
        self.step_seconds = max(many - one, 0.0) / ((size - 1) * steps)
        self.batch_seconds = max(one - self.step_seconds * steps, 0.0)

    @contextlib.contextmanager
    def expecting(self) -> Iterator[None]:
        """Around the work that precedes submit(): the collector may wait for this request's item."""
        self.coming += 1
        try:
            yield
        finally:
            self.coming -= 1
            if self.coming == 0:
                self.ready.set()

    async def submit(self, item: Item) -> Result:
        """The item's result, once its batch has run; BatchFailed or BatcherStopped otherwise."""
        if self.task is None or self.task.done():
            raise BatcherStopped(f"the {self.name} batcher is not running: the server is shutting down")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.pending.append(Pending(item, future))
        self.arrived.set()
        if len(self.pending) >= self.max_batch or self.coming == 0:
            self.ready.set()
        return await future

    async def collect(self) -> None:
        """The collector task: gather a batch, run it, repeat; on the way out, fail whatever is left."""
        try:
            while True:
                await self.arrived.wait()
                await self.gather_ready()
                if len(self.pending) < self.max_batch and self.coming > 0 and self.wait_s > 0:
                    self.ready.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self.ready.wait(), self.wait_s)
                batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
                if not self.pending:
                    self.arrived.clear()
                batch = [pending for pending in batch if not pending.future.done()]  # done: the client left
                if batch:
                    self.count(batch)
                    await self.run_batch(batch)
        finally:
            left, self.pending = self.pending, []
            fail(left, BatcherStopped(f"the {self.name} batcher stopped before this request's batch ran"))

    async def gather_ready(self) -> None:
        """Let the event loop run what it already holds, for as long as that adds items: requests
        already read from their sockets join this batch, with no wait on the clock."""
        count = -1
        while count != len(self.pending) and len(self.pending) < self.max_batch:
            count = len(self.pending)
            await asyncio.sleep(0)

    def count(self, batch: list[Pending[Item, Result]]) -> None:
        self.batches, self.items, self.largest = (
            self.batches + 1,
            self.items + len(batch),
            max(self.largest, len(batch)),
        )

    def expected_seconds(self, steps: int) -> float:
        """The CPU time a batch of this many item-steps should take."""
        return self.batch_seconds + steps * self.step_seconds

    async def run_batch(self, batch: list[Pending[Item, Result]]) -> None:
        """Run the batch (a forward pass per key), on the loop or the inference thread; resolve each item's future."""
        items = [pending.item for pending in batch]
        steps = sum(map(self.steps, items))
        call = partial(timed, run_by_key, self.run, self.key, items)
        try:
            if self.expected_seconds(steps) <= self.inline_s:
                results, seconds = call()
            else:
                results, seconds = await asyncio.get_running_loop().run_in_executor(self.inference, call)
        except asyncio.CancelledError:
            fail(batch, BatcherStopped(f"the {self.name} batcher stopped while this request's batch ran"))
            raise
        except Exception as error:  # a bug or a resource error: this batch's requests fail, the next batch runs
            log.error("a batch of %d on %s failed", len(batch), self.name, exc_info=error)
            fail(batch, BatchFailed(f"inference failed for a batch of {len(batch)} requests on {self.name}"))
            return
        measured = max(seconds - self.batch_seconds, 0.0) / steps
        self.step_seconds = 0.8 * self.step_seconds + 0.2 * measured
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():  # done: its client went away and the handler was cancelled
                pending.future.set_result(result)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.batches:
            message = "batcher %s: %d items in %d batches, at most %d in one"
            log.info(message, self.name, self.items, self.batches, self.largest)


def run_by_key(
    run: Callable[[list[Item]], list[Result]], key: Callable[[Item], Hashable], items: list[Item]
) -> list[Result]:
    """run() once per group of items with equal keys; the results in the items' order."""
    groups: dict[Hashable, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(key(item), []).append(index)
    by_index: dict[int, Result] = {}
    for indices in groups.values():
        answers = run([items[i] for i in indices])
        by_index.update(zip(indices, answers, strict=True))  # ValueError if run() lost or added an answer
    return [by_index[index] for index in range(len(items))]


def timed(function: Callable[..., Result], *args: Any) -> tuple[Result, float]:
    """function(*args) and the CPU seconds this thread spent on it (not the time spent waiting for the GIL)."""
    started = time.thread_time()
    result = function(*args)
    return result, time.thread_time() - started


def fail(batch: Sequence[Pending[Item, Result]], error: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def same_batch(item: object) -> int:
    return 0


def sum_width(pair: tuple[str, str]) -> int:
    """The adder's steps for (a, b): sums share a pass only at equal padded lengths."""
    return max(len(pair[0]), len(pair[1])) + 1


def image_rows(image: np.ndarray) -> int:
    """A digit model's steps for an image: one per row."""
    return len(image)


def classify_stacked(models: Sequence[LoadedModel], images: list[np.ndarray]) -> list[ZooAnswer]:
    return classify_batch(models, np.stack(images))  # n x (28, 28) -> (n, 28, 28)


def names(models: Sequence[LoadedModel]) -> tuple[str, ...]:
    return tuple(model.name for model in models)


@dataclass
class ModelBatchers:
    """One started Batcher per model group of the zoo."""

    digits: dict[tuple[str, ...], Batcher[np.ndarray, ZooAnswer]]  # by the names of the group's models
    adders: dict[str, Batcher[tuple[str, str], AddResponse]]  # by adder name
    inference: ThreadPoolExecutor  # the one thread that runs batches off the event loop

    @classmethod
    def start(cls, registry: Registry, settings: Settings) -> "ModelBatchers":
        """A Batcher for each digit model, one for all of them (all, ensemble), and one for each adder.

        Batches off the event loop run on one thread of their own, in turn, and each batcher times
        its model first (calibrate: 70 ms for the committed zoo). The thread is not anyio's pool:
        that pool serves the preprocessing behind a limiter, and hands work over through a
        Python-level queue, which takes the GIL more often (BENCHMARKS.md has the figures).
        """
        inference = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="rnnlab-inference",
            initializer=torch.set_num_threads,  # OpenMP keeps the count per thread (deps.with_torch_threads)
            initargs=(settings.torch_threads,),
        )

        def batcher(
            models: Sequence[LoadedModel],
            run: Callable[[list[Any]], list[Any]],
            key: Callable[[Any], Hashable],
            steps: Callable[[Any], int],
            sample: Any,
        ) -> Batcher[Any, Any]:
            return Batcher(
                name=" + ".join(names(models)),
                run=run,
                key=key,
                steps=steps,
                sample=sample,
                wait_s=settings.batch_wait_ms / 1000,
                max_batch=settings.max_batch,
                inline_s=settings.inline_batch_ms / 1000,
                inference=inference,
            )

        digit_models = registry.of_task("digits")
        groups = [[model] for model in digit_models] + ([digit_models] if len(digit_models) > 1 else [])
        batchers = cls(
            {
                names(group): batcher(group, partial(classify_stacked, group), same_batch, image_rows, BLANK_IMAGE)
                for group in groups
            },
            {
                model.name: batcher([model], partial(add_batch, model), sum_width, sum_width, SAMPLE_SUM)
                for model in registry.of_task("adder")
            },
            inference,
        )
        for each in batchers.all():
            each.start()
        return batchers

    def all(self) -> list[Batcher[Any, Any]]:
        return [*self.digits.values(), *self.adders.values()]

    async def stop(self) -> None:
        await asyncio.gather(*(batcher.stop() for batcher in self.all()))
        self.inference.shutdown(wait=False)  # a batch still running ends on its own; its requests have failed


@contextlib.contextmanager
def expect_image(request: Request, models: Sequence[LoadedModel]) -> Iterator[None]:
    """Around an image's preprocessing: tells the models' batcher that an item is on its way."""
    batchers: ModelBatchers | None = request.app.state.batchers
    if batchers is None:
        yield
        return
    with batchers.digits[names(models)].expecting():
        yield


async def classify_one(request: Request, models: Sequence[LoadedModel], pixels: np.ndarray) -> ZooAnswer:
    """(28, 28) float32 in [0, 1] -> every model's answer and their ensemble: in a batch with
    concurrent requests for the same models with RNNLAB_MICRO_BATCHING on, a batch of one with it off."""
    batchers: ModelBatchers | None = request.app.state.batchers
    if batchers is None:
        return (await run_in_pool(request, classify_batch, models, pixels[np.newaxis]))[0]
    return await batchers.digits[names(models)].submit(pixels)


async def add_one(request: Request, model: LoadedModel, a: str, b: str) -> AddResponse:
    """The adder's sum of the MSB-first bit strings a and b: batched with concurrent sums of the same width."""
    batchers: ModelBatchers | None = request.app.state.batchers
    if batchers is None:
        return (await run_in_pool(request, add_batch, model, [(a, b)]))[0]
    return await batchers.adders[model.name].submit((a, b))
