"""Micro-batching: concurrent requests for the same models share one forward pass.

    batchers = Batchers.start(registry, settings)        # in the lifespan, on the event loop
    answer = await batchers.classify(models, pixels)     # (28, 28) float32 in [0, 1] -> ZooAnswer
    answer = await batchers.classify(models, pixels, steps=True)   # ... with answer.steps, 28 x 10 a model
    result = await batchers.add(model, "1011", "110")    # MSB-first bit strings -> AddResponse
    await batchers.stop()                                # anything still queued fails: 503

Each model group (one digit model; every digit model, for `all` and `ensemble`; one adder) has a
Batcher: a queue and a collector task. The collector takes the first item that arrives, waits up to
RNNLAB_BATCH_WAIT_MS for more, never past RNNLAB_MAX_BATCH items, and runs the batch on the
inference thread, one thread that every batcher shares, so the event loop keeps reading and
answering requests meanwhile. Under load, items pile up while a batch runs, so batches grow with the
load. An adder batch runs one forward pass per sum width (app.predict.add_batch pads to the widest),
so that a short sum never runs a long one's steps. Requests with steps (`steps=True`: the answer
after every row or column) have a Batcher of their own per group, so that a plain request never
waits for, or runs, a stepped pass.

An exception in a batch fails that batch's requests alone (BatchFailed: 500); stopping fails what is
queued (BatcherStopped: 503); an item with no result within RNNLAB_QUEUE_TIMEOUT_S gets Overloaded
(503). With RNNLAB_MICRO_BATCHING=false, each request is a batch of one.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

import numpy as np
import torch

from app.overload import Overloaded
from app.predict import ZooAnswer, add_batch, classify_batch
from app.registry import LoadedModel, Registry
from app.schemas import AddResponse
from app.settings import Settings

Item = TypeVar("Item")
Result = TypeVar("Result")
log = logging.getLogger("uvicorn.error")


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
    run: Callable[[list[Item]], list[Result]]  # the forward pass of a batch, on `executor`
    max_batch: int
    wait_s: float  # how long the first item of a batch waits for company
    executor: Executor
    timeout_s: float = 3600.0  # how long an item may wait for its result (RNNLAB_QUEUE_TIMEOUT_S)
    pending: list[Pending[Item, Result]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set while `pending` is not empty
    full: asyncio.Event = field(default_factory=asyncio.Event)  # set when `pending` holds a whole batch
    task: "asyncio.Task[None] | None" = None
    batches: int = 0  # batches run so far, and the most items in one
    largest: int = 0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.collect(), name=f"batcher {self.name}")

    async def submit(self, item: Item) -> Result:
        """The item's result, once its batch has run; BatchFailed, BatcherStopped, or Overloaded after timeout_s."""
        if self.task is None or self.task.done():
            raise BatcherStopped(f"the {self.name} batcher is not running: the server is shutting down")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.pending.append(Pending(item, future))
        self.arrived.set()
        if len(self.pending) >= self.max_batch:
            self.full.set()
        try:
            return await asyncio.wait_for(future, self.timeout_s)  # cancels the item on timeout: its batch skips it
        except TimeoutError:
            message = f"the server is busy: no answer within {self.timeout_s:g} s (RNNLAB_QUEUE_TIMEOUT_S)"
            raise Overloaded(message) from None

    async def collect(self) -> None:
        """The collector task: gather a batch, run it, repeat; on the way out, fail whatever is left."""
        try:
            while True:
                batch = await self.gather()
                batch = [pending for pending in batch if not pending.future.done()]  # done: the client left
                if batch:
                    self.batches, self.largest = self.batches + 1, max(self.largest, len(batch))
                    await self.run_batch(batch)
        finally:
            left, self.pending = self.pending, []
            fail(left, BatcherStopped(f"the {self.name} batcher stopped before this request's batch ran"))

    async def gather(self) -> list[Pending[Item, Result]]:
        """The next batch: up to max_batch items, waiting up to wait_s after the first for the rest."""
        await self.arrived.wait()
        if len(self.pending) < self.max_batch and self.wait_s > 0:
            self.full.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.full.wait(), self.wait_s)
        batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
        if not self.pending:
            self.arrived.clear()
        return batch

    async def run_batch(self, batch: list[Pending[Item, Result]]) -> None:
        """Run the batch on the inference thread and resolve each item's future."""
        items = [pending.item for pending in batch]
        try:
            results = await asyncio.get_running_loop().run_in_executor(self.executor, self.run, items)
            if len(results) != len(batch):
                raise ValueError(f"{len(batch)} items gave {len(results)} results")
        except asyncio.CancelledError:
            fail(batch, BatcherStopped(f"the {self.name} batcher stopped while this request's batch ran"))
            raise
        except Exception as error:  # a bug or a resource error: this batch's requests fail, the next batch runs
            log.error("a batch of %d on %s failed", len(batch), self.name, exc_info=error)
            fail(batch, BatchFailed(f"inference failed for a batch of {len(batch)} requests on {self.name}"))
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():  # done: its client went away and the handler was cancelled
                pending.future.set_result(result)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def fail(batch: Sequence[Pending[Item, Result]], error: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


def classify_stacked(models: Sequence[LoadedModel], images: list[np.ndarray], steps: bool = False) -> list[ZooAnswer]:
    return classify_batch(models, np.stack(images), steps)  # n x (28, 28) -> (n, 28, 28)


def add_by_width(model: LoadedModel, pairs: list[tuple[str, str]], steps: bool = False) -> list[AddResponse]:
    """add_batch once per sum width, so that no sum runs a wider one's steps; the results in the pairs' order."""
    by_width: dict[int, list[int]] = {}
    for index, (a, b) in enumerate(pairs):
        by_width.setdefault(max(len(a), len(b)), []).append(index)
    results: dict[int, AddResponse] = {}
    for indices in by_width.values():
        results.update(zip(indices, add_batch(model, [pairs[i] for i in indices], steps), strict=True))
    return [results[index] for index in range(len(pairs))]


def names(models: Sequence[LoadedModel]) -> tuple[str, ...]:
    return tuple(model.name for model in models)


@dataclass
class Batchers:
    """One started Batcher per model group of the zoo, and the inference thread they share."""

    digits: dict[tuple[str, ...], Batcher[np.ndarray, ZooAnswer]]  # by the names of the group's models
    adders: dict[str, Batcher[tuple[str, str], AddResponse]]  # by adder name
    executor: ThreadPoolExecutor  # the one thread that runs every batch
    # The same for requests with steps, which batch apart: their pass is step_logits' (classify_batch)
    # or the adder's stepped pass, which a plain request need not wait for.
    digit_steps: dict[tuple[str, ...], Batcher[np.ndarray, ZooAnswer]] = field(default_factory=dict)
    adder_steps: dict[str, Batcher[tuple[str, str], AddResponse]] = field(default_factory=dict)

    @classmethod
    def start(cls, registry: Registry, settings: Settings) -> "Batchers":
        """A Batcher for each digit model, one for all of them (all, ensemble), and one for each adder."""
        executor = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="rnnlab-inference",
            initializer=torch.set_num_threads,  # OpenMP keeps the thread count per thread
            initargs=(settings.torch_threads,),
        )
        max_batch, wait_s = (settings.max_batch, settings.batch_wait_ms / 1000) if settings.micro_batching else (1, 0)

        def batcher(models: Sequence[LoadedModel], run: Callable[[list[Item]], list[Result]]) -> Batcher[Item, Result]:
            return Batcher(" + ".join(names(models)), run, max_batch, wait_s, executor, settings.queue_timeout_s)

        digit_models = registry.of_task("digits")
        groups = [[model] for model in digit_models] + ([digit_models] if len(digit_models) > 1 else [])
        adders = registry.of_task("adder")
        batchers = cls(
            {names(group): batcher(group, partial(classify_stacked, group)) for group in groups},
            {model.name: batcher([model], partial(add_by_width, model)) for model in adders},
            executor,
            {names(group): batcher(group, partial(classify_stacked, group, steps=True)) for group in groups},
            {model.name: batcher([model], partial(add_by_width, model, steps=True)) for model in adders},
        )
        for each in batchers.all():
            each.start()
        return batchers

    def all(self) -> list[Batcher[np.ndarray, ZooAnswer] | Batcher[tuple[str, str], AddResponse]]:
        return [*self.digits.values(), *self.adders.values(), *self.digit_steps.values(), *self.adder_steps.values()]

    async def classify(self, models: Sequence[LoadedModel], pixels: np.ndarray, steps: bool = False) -> ZooAnswer:
        """(28, 28) float32 in [0, 1] -> every model's answer and their ensemble (with `steps`, after
        each row too), batched with concurrent requests for the same models and the same `steps`."""
        return await (self.digit_steps if steps else self.digits)[names(models)].submit(pixels)

    async def add(self, model: LoadedModel, a: str, b: str, steps: bool = False) -> AddResponse:
        """The adder's sum of the MSB-first bit strings a and b (with `steps`, and its state after each
        column), batched with concurrent sums."""
        return await (self.adder_steps if steps else self.adders)[model.name].submit((a, b))

    async def stop(self) -> None:
        await asyncio.gather(*(batcher.stop() for batcher in self.all()))
        self.executor.shutdown(wait=False)  # a batch still running ends on its own; its requests have failed
