"""What the routes share: the loaded zoo, the metrics and the worker pool (some through `Depends`),
and RequestRoute with json_body for the routes that read their own inputs.

    @router.get("/models")
    def list_models(registry: RegistryDep) -> list[ModelSummary]: ...

    result = await run_in_pool(request, classify_batch, models, images)   # CPU work off the event loop

The dependencies are `async def` although they never await: FastAPI runs a plain `def` dependency
in the thread pool. /classify and /add call `loaded_registry` and read `app.state` directly instead:
each dependency FastAPI resolves costs about 9 µs a request, and those two routes are the hot path.
They go further and are RequestRoutes: endpoints of the request alone, /add reading its JSON body
with `json_body`.
"""

import contextlib
import json
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import torch
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from python_multipart.multipart import parse_options_header
from typing_extensions import TypeVarTuple, Unpack

from app.metrics import Metrics
from app.registry import Registry

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)
Args = TypeVarTuple("Args")


def loaded_registry(request: Request) -> Registry:
    """The zoo the lifespan loaded; 503 while it is not loaded (so never a half-loaded zoo)."""
    registry: Registry | None = getattr(request.app.state, "registry", None)
    if registry is None:
        raise HTTPException(503, "the models are not loaded yet; retry when GET /health/ready answers 200")
    return registry


async def get_registry(request: Request) -> Registry:
    return loaded_registry(request)


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


RegistryDep = Annotated[Registry, Depends(get_registry)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


class RequestRoute(APIRoute):
    """A route whose endpoint takes the Request alone, reads and checks its own inputs, and returns
    the Response: FastAPI documents it from the decorator (response_model, responses, openapi_extra)
    and calls it directly. Its own handler would solve the endpoint's parameters first (`request`
    alone still goes through that) and check the response: about 10 µs a request for nothing.

        router = APIRouter(prefix="/classify", route_class=RequestRoute)
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def json_request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A RequestRoute's OpenAPI request body (its openapi_extra) for a JSON `model` that it reads with json_body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def json_body(model: type[ModelT], body: bytes, content_type: str | None) -> ModelT:
    """A request body as `model`, read as FastAPI reads a JSON body parameter, with its errors: a 422
    for no body, a body not sent as JSON, JSON that does not parse, or fields that do not validate;
    a 400 for bytes that are not text or nest too deep.

    A body sent as application/json that validates is read by pydantic's JSON parser (1.3 µs for
    /add's, against 3 µs through json.loads); any other goes FastAPI's way (json.loads, then
    validation), so that its error is FastAPI's.
    """
    if content_type == "application/json":
        with contextlib.suppress(ValidationError):
            return model.model_validate_json(body)
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    data: Any = body  # not sent as JSON: validated as bytes, which asks for an object (FastAPI's strict content type)
    kind, _ = parse_options_header(content_type or "")
    if kind.startswith(b"application/") and (kind == b"application/json" or kind.endswith(b"+json")):
        try:
            data = json.loads(body)
        except json.JSONDecodeError as error:
            detail = {"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error", "input": {}}
            raise RequestValidationError([{**detail, "ctx": {"error": error.msg}}]) from None
        except (UnicodeDecodeError, RecursionError) as error:
            raise HTTPException(400, "There was an error parsing the body") from error
    try:
        return model.model_validate(data, from_attributes=True)  # as FastAPI validates a body
    except ValidationError as error:
        raise request_error(error, "body") from None


def request_error(error: ValidationError, *where: str) -> RequestValidationError:
    """pydantic's errors as FastAPI's 422 for a request input: each error's loc under `where`
    ("body", or "query", "model"), as FastAPI reports a parameter it validated itself."""
    return RequestValidationError(
        [{**detail, "loc": (*where, *detail["loc"])} for detail in error.errors(include_url=False)]
    )


async def run_in_pool(request: Request, function: Callable[[Unpack[Args]], T], *args: Unpack[Args]) -> T:
    """Run CPU-bound `function(*args)` in anyio's thread pool, at most RNNLAB_INFERENCE_CONCURRENCY at once."""
    limiter: CapacityLimiter = request.app.state.limiter
    threads = request.app.state.settings.torch_threads
    return await anyio.to_thread.run_sync(partial(with_torch_threads, threads, function, *args), limiter=limiter)


worker = threading.local()


def with_torch_threads(threads: int, function: Callable[[Unpack[Args]], T], *args: Unpack[Args]) -> T:
    """`function(*args)`, once this worker thread has its own torch thread count.

    OpenMP keeps the count per thread, so the lifespan's torch.set_num_threads reaches only the
    event loop's thread. A pool thread that never set it uses OpenMP's default (every core), and
    the adder's LSTM then synchronises those threads at each of its up to 10,001 steps: on a busy
    machine each step waits for the scheduler, and 1,000 bits took 8 s instead of 2 ms.
    """
    if getattr(worker, "torch_threads", None) != threads:
        torch.set_num_threads(threads)
        worker.torch_threads = threads
    return function(*args)
