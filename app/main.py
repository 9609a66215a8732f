"""The FastAPI app: settings, middleware, routers, and a lifespan that loads the zoo once.

    uvicorn app.main:app --host 0.0.0.0 --port 8000        # or scripts/serve
    RNNLAB_MODELS_DIR=/tmp/zoo uvicorn app.main:app        # any model store

    from app.main import create_app                         # tests build apps with their own settings
    from app.settings import Settings
    with TestClient(create_app(Settings(max_bits=64))) as client: ...

The lifespan also starts a micro-batcher per model group (app/batching.py) and stops it on shutdown.
"""

import gc
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import perf_counter

import torch
from anyio import CapacityLimiter
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig

from app.batching import Batchers
from app.deps import Pool
from app.errors import install_error_handlers
from app.limits import BodyLimitMiddleware
from app.metrics import Metrics, MetricsMiddleware
from app.overload import Queue
from app.registry import load_registry
from app.routers import adder, classify, health, metrics, models, pages, v2
from app.settings import Settings
from training.checkpoint import CheckpointError

log = logging.getLogger("uvicorn.error")  # printed by uvicorn's handler, next to its own startup lines

DESCRIPTION = """Small recurrent networks, served: classify a handwritten digit (`POST /classify`),
add two binary numbers (`POST /add`), inspect the zoo (`GET /models`), or call any model through the
Open Inference Protocol (`/v2`, KServe V2). Every error is JSON `{"detail": "..."}`, and `{"error": "..."}`
under `/v2`; every limit is an `RNNLAB_*` setting."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load and verify every checkpoint before the server accepts a request; refuse to start otherwise."""
    settings: Settings = app.state.settings
    # Small models answer fastest single-threaded; parallelism comes from concurrent requests.
    torch.set_num_threads(settings.torch_threads)
    started = perf_counter()
    try:
        registry = load_registry(settings.models_dir, settings.default_digit_model, settings.default_adder_model)
    except CheckpointError as error:
        log.error("rnnlab cannot start: %s", error)
        raise
    app.state.pool = Pool(CapacityLimiter(settings.inference_concurrency), settings.queue_timeout_s)
    spool = tempfile.tempdir  # uploads over 1 MiB go to a SpooledTemporaryFile's file, made in tempfile.tempdir
    if settings.spool_dir is not None:
        tempfile.tempdir = str(settings.spool_dir)
    app.state.batchers = Batchers.start(registry, settings)  # a collector task per model group, on this event loop
    app.state.registry = registry
    # What is loaded now lives as long as the process: move it out of the garbage collector's sight.
    # A full collection would otherwise walk its ~200,000 objects: a pause of 50-150 ms in a request.
    gc.collect()
    gc.freeze()
    log.info(
        "rnnlab loaded %d models from %s in %.2f s (default digit model %s, default adder %s)",
        len(registry.models),
        settings.models_dir,
        perf_counter() - started,
        registry.default_digit,
        registry.default_adder,
    )
    yield
    gc.unfreeze()  # a test process starts many apps: let the garbage collector see this one's again
    tempfile.tempdir = spool
    app.state.registry = None
    if app.state.batchers is not None:  # uvicorn has let in-flight requests finish; anything left fails with 503
        await app.state.batchers.stop()
        app.state.batchers = None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # rnnlab reports through /metrics (Prometheus). FastAPI's OpenTelemetry hooks, idle unless a
    # provider is configured, still look for one in every request: off.
    no_telemetry: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(title="rnnlab", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, telemetry=no_telemetry)
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.registry = None  # /health/ready answers 503 until the lifespan sets it
    app.state.batchers = None  # Batchers while the lifespan runs
    app.state.queue = Queue(settings.max_queue)  # the requests this worker holds (app/overload.py)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes, timeout_s=settings.body_timeout_s)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # added last: outermost, sees every status
    routers = (classify.router, adder.router, models.router, health.router, metrics.router, pages.router, v2.router)
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app


app = create_app()
