"""What the routes share, as `Annotated[..., Depends()]` aliases: the loaded zoo, the batchers,
the thread pool for CPU work, the settings and the metrics.

    @router.get("/models")
    async def list_models(registry: RegistryDep) -> list[ModelSummary]: ...

    pixels = await pool.run(preprocess, data, max_pixels)      # CPU work off the event loop
    answer = await batchers.classify(models, pixels)           # the model, batched

The dependencies are `async def` although they never await: FastAPI runs a plain `def` dependency
in the thread pool.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request
from typing_extensions import TypeVarTuple, Unpack

from app.batching import Batchers
from app.metrics import Metrics
from app.overload import Overloaded
from app.registry import Registry
from app.settings import Settings

T = TypeVar("T")
Args = TypeVarTuple("Args")


@dataclass
class Pool:
    """Threads for the CPU work of a request besides the model (preprocessing): at most
    RNNLAB_INFERENCE_CONCURRENCY calls at once; the rest wait their turn, each at most
    RNNLAB_QUEUE_TIMEOUT_S (then Overloaded: 503)."""

    limiter: CapacityLimiter
    wait_s: float

    async def run(self, function: Callable[[Unpack[Args]], T], *args: Unpack[Args]) -> T:
        try:
            with anyio.fail_after(self.wait_s):
                await self.limiter.acquire()
        except TimeoutError:
            message = f"the server is busy: no thread was free within {self.wait_s:g} s (RNNLAB_QUEUE_TIMEOUT_S)"
            raise Overloaded(message) from None
        try:
            return await anyio.to_thread.run_sync(partial(function, *args))
        finally:
            self.limiter.release()


async def get_registry(request: Request) -> Registry:
    """The zoo the lifespan loaded; 503 while it is not loaded (so never a half-loaded zoo)."""
    registry: Registry | None = request.app.state.registry
    if registry is None:
        raise HTTPException(503, "the models are not loaded yet; retry when GET /health/ready answers 200")
    return registry


async def get_batchers(request: Request) -> Batchers:
    batchers: Batchers | None = request.app.state.batchers
    if batchers is None:
        raise HTTPException(503, "the models are not loaded yet; retry when GET /health/ready answers 200")
    return batchers


async def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


RegistryDep = Annotated[Registry, Depends(get_registry)]
BatchersDep = Annotated[Batchers, Depends(get_batchers)]
PoolDep = Annotated[Pool, Depends(get_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
