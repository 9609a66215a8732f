"""The Open Inference Protocol (KServe V2, as Triton speaks it) over REST, for every model of the zoo.

    curl localhost:8000/v2/models/adder-lstm-10/infer -d '{"inputs": [
      {"name": "a", "shape": [1], "datatype": "BYTES", "data": ["1011"]},
      {"name": "b", "shape": [1], "datatype": "BYTES", "data": ["110"]}]}'

    client = tritonclient.http.InferenceServerClient("localhost:8000")     # binary tensor data by default
    pixels = tritonclient.http.InferInput("pixels", [8, 28, 28], "FP32")
    pixels.set_data_from_numpy(images)                                      # (8, 28, 28) float32 in [0, 1]
    client.infer("mnist-gru-128", [pixels]).as_numpy("digit")               # (8,) int64

The routes are thin: app/inference_protocol.py reads the request and writes the response; the
models run through the same micro-batchers, thread pool, limits and metrics as /classify and /add,
one batcher item per image or sum. Every error on /v2 takes the protocol's form `{"error": "..."}`:
ProtocolRoute answers what a route raises with the app's own handler for it (app/errors.py,
FastAPI's), then rewrites its `detail`; the last route takes every other /v2 path, for a 404 or 405.
"""

import asyncio
import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.batching import Batchers
from app.deps import BatchersDep, MetricsDep, Pool, PoolDep, RegistryDep, SettingsDep
from app.inference_protocol import (
    EXTENSIONS,
    VERSION,
    ProtocolError,
    Tensor,
    bit_strings,
    check_pixels,
    model_metadata,
    read_inputs,
    read_request,
    requested_outputs,
    write_response,
)
from app.metrics import Metrics
from app.overload import Admitted
from app.preprocess import ImageRejected, preprocess
from app.protocol_schemas import (
    INFER_BODY,
    InferenceResponse,
    ModelMetadata,
    ModelReady,
    ServerLive,
    ServerMetadata,
    ServerReady,
    protocol_errors,
)
from app.registry import LoadedModel, UnknownModel

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ProtocolRoute(APIRoute):
    """A /v2 route: an error it raises is answered by the app's handler for it, in the protocol's form."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except ProtocolError as error:
                return JSONResponse({"error": error.message}, error.status_code)
            except Exception as error:  # HTTPException, validation, batch errors, bugs: as the app answers them
                return in_protocol_form(await app_answer(request, error))

        return answer


async def app_answer(request: Request, error: Exception) -> Response:
    """What the app's own exception handler for `error` answers (it has one for Exception itself)."""
    handlers = request.app.exception_handlers
    kind = next((kind for kind in type(error).__mro__ if kind in handlers), None)
    if kind is None:
        raise error
    response = handlers[kind](request, error)
    answered: Response = await response if inspect.isawaitable(response) else response
    return answered


def in_protocol_form(response: Response) -> Response:
    """A JSON error `{"detail": ...}` -> `{"error": "..."}`, with the same status and headers."""
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return response
    if not isinstance(body, dict) or "detail" not in body:
        return response
    detail = body["detail"]
    headers = {key: value for key, value in response.headers.items() if key not in ("content-length", "content-type")}
    message = detail if isinstance(detail, str) else json.dumps(detail)
    return JSONResponse({"error": message}, response.status_code, headers=headers)


router = APIRouter(prefix="/v2", tags=["open inference protocol"], route_class=ProtocolRoute)

ModelName = Annotated[str, PathParam(description="a model's name, as GET /models lists it", examples=["mnist-gru-128"])]
HeaderLength = Annotated[
    int | None,
    Header(
        alias="Inference-Header-Content-Length",
        ge=0,
        description="binary tensor data extension: the length of the body's JSON part, binary tensors after it",
    ),
]
UNKNOWN = protocol_errors(e404="unknown model or version", e422="a malformed path")
INFER_ERRORS = protocol_errors(
    e400="a malformed request: JSON, shapes, datatypes, input or output names, bit strings, an image",
    e404="unknown model or version",
    e413="a body over RNNLAB_MAX_UPLOAD_BYTES, a batch over RNNLAB_MAX_INFER_BATCH, a sum over RNNLAB_MAX_BITS, "
    "an image over RNNLAB_MAX_PIXELS",
    e415="an `image` in a format the service does not decode",
    e422="an `image` without ink; a malformed Inference-Header-Content-Length",
    e503="the models are not loaded yet, the server is shutting down, or its queue is full (Retry-After)",
)
INFER_ROUTE: dict[str, Any] = {
    "response_model": InferenceResponse,
    "responses": {
        **INFER_ERRORS,
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Inference-Header-Content-Length": {
                    "schema": {"type": "integer"},
                    "description": "with binary outputs: the length of the JSON part, their data after it",
                }
            },
        },
    },
    "openapi_extra": INFER_BODY,
}


async def find_model(name: ModelName, registry: RegistryDep) -> LoadedModel:
    try:
        return registry.get(name)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error


async def known_version(version: Annotated[str, PathParam(examples=[VERSION])]) -> None:
    if version != VERSION:
        raise HTTPException(404, f"unknown version {version!r}; every model has one version, {VERSION!r}")


ModelDep = Annotated[LoadedModel, Depends(find_model)]
VERSIONED = [Depends(known_version)]


@router.get("")
async def server_metadata(request: Request) -> ServerMetadata:
    return ServerMetadata(name=request.app.title, version=request.app.version, extensions=EXTENSIONS)


@router.get("/health/live")
async def server_live() -> ServerLive:
    return ServerLive(live=True)


@router.get("/health/ready", responses=protocol_errors(e503="the models are not loaded yet"))
async def server_ready(registry: RegistryDep) -> ServerReady:
    """Every model is loaded (the dependency answers 503 before)."""
    return ServerReady(ready=True)


@router.get("/models/{name}/versions/{version}", responses=UNKNOWN, dependencies=VERSIONED)
@router.get("/models/{name}", responses=UNKNOWN)  # the decorator nearest the function registers first
async def model_metadata_route(model: ModelDep) -> ModelMetadata:
    """The model's inputs and outputs: names, datatypes and shapes, -1 for the batch dimension."""
    return model_metadata(model)


@router.get("/models/{name}/versions/{version}/ready", responses=UNKNOWN, dependencies=VERSIONED)
@router.get("/models/{name}/ready", responses=UNKNOWN)
async def model_ready(model: ModelDep) -> ModelReady:
    return ModelReady(name=model.name, ready=True)


@router.post("/models/{name}/versions/{version}/infer", **INFER_ROUTE, dependencies=[*VERSIONED, Admitted])
@router.post("/models/{name}/infer", **INFER_ROUTE, dependencies=[Admitted])
async def infer(
    model: ModelDep,
    request: Request,
    batchers: BatchersDep,
    pool: PoolDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    header_length: HeaderLength = None,
) -> Response:
    """Run the model on a batch: JSON tensors, or binary ones after Inference-Header-Content-Length bytes of JSON."""
    inference, raws = read_request(await request.body(), header_length)  # the body is capped by BodyLimitMiddleware
    inputs = read_inputs(model, inference, raws, settings.max_infer_batch)
    outputs = requested_outputs(model, inference)
    if model.task == "adder":
        values = await add(batchers, metrics, model, inputs, settings.max_bits)
    elif "pixels" in inputs:
        values = await classify(batchers, metrics, model, check_pixels(np.asarray(inputs["pixels"])))
    else:
        values = await classify(
            batchers, metrics, model, await preprocessed(pool, inputs["image"], settings.max_pixels)
        )
    body, length = write_response(model.name, inference.id, outputs, values)
    if length is None:
        return Response(body, media_type="application/json")
    headers = {"Inference-Header-Content-Length": str(length)}
    return Response(body, media_type="application/octet-stream", headers=headers)


async def preprocessed(pool: Pool, images: Tensor, max_pixels: int) -> np.ndarray:
    """N encoded images -> (N, 28, 28) float32 in [0, 1], each preprocessed in the pool as /classify's uploads are."""

    async def one(index: int, data: bytes) -> np.ndarray:
        try:
            return await pool.run(preprocess, data, max_pixels)
        except ImageRejected as error:
            raise ProtocolError(error.status_code, f"image[{index}]: {error.detail}") from error

    return np.stack(await asyncio.gather(*(one(index, data) for index, data in enumerate(images))))


async def classify(batchers: Batchers, metrics: Metrics, model: LoadedModel, pixels: np.ndarray) -> dict[str, Tensor]:
    """(N, 28, 28) float32 in [0, 1] -> probabilities (N, 10) and digit (N,), one batcher item per image."""
    answers = await asyncio.gather(*(batchers.classify([model], image) for image in pixels))
    probabilities = np.stack([answer.probabilities[0] for answer in answers])  # (N, 10) float32
    digits = probabilities.argmax(axis=1).astype(np.int64)  # as `python -m training evaluate` reads a model
    for digit in digits.tolist():
        metrics.child(metrics.digit_predictions, model.name, str(digit)).inc()
    return {"probabilities": probabilities, "digit": digits}


async def add(
    batchers: Batchers, metrics: Metrics, model: LoadedModel, inputs: dict[str, Tensor], max_bits: int
) -> dict[str, Tensor]:
    """`a` and `b` (N bit strings each, MSB first) -> sum (N bit strings), one batcher item per sum."""
    a, b = (bit_strings(inputs[name], name, max_bits) for name in ("a", "b"))
    results = await asyncio.gather(*(batchers.add(model, x, y) for x, y in zip(a, b, strict=True)))
    for result in results:
        metrics.child(metrics.additions, result.model, str(result.correct).lower()).inc()
        metrics.child(metrics.added_bits, result.model).inc(result.bits)
    return {"sum": [result.sum.encode() for result in results]}


@router.api_route("/{path:path}", methods=list(METHODS), include_in_schema=False)
async def not_in_the_protocol(request: Request) -> None:
    """Any other path under /v2: 405 where a route above takes another method, else 404. Routed here,
    rather than left to the app's router, so that ProtocolRoute answers them in the protocol's form."""
    others = [route for route in router.routes if isinstance(route, APIRoute) and route is not request.scope["route"]]
    takes_path = [route for route in others if route.matches(request.scope)[0] == Match.PARTIAL]  # other methods
    allowed = sorted({method for route in takes_path for method in route.methods or ()})
    if allowed:
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})
    raise HTTPException(404, "Not Found")
