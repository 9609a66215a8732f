"""POST /add: two bit strings -> the adder's sum, checked against Python's integers.

    curl -H 'content-type: application/json' -d '{"a": "1011", "b": "110"}' localhost:8000/add

Sums of the same width share a forward pass with concurrent requests (app/batching.py). As
/classify, the route reads its body, `app.state` and settings itself rather than through FastAPI's
parameters and dependencies, and serialises its answer itself: it is the hot path.
"""

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError

from app.batching import add_one
from app.deps import RequestRoute, json_body, json_request_body, loaded_registry
from app.registry import MAX_MODEL_NAME, UnknownModel
from app.schemas import AddRequest, AddResponse, error_responses

router = APIRouter(prefix="/add", tags=["adder"], route_class=RequestRoute)

ERRORS = error_responses(
    e400="a body that cannot be read as text",
    e404="unknown adder",
    e413="a body over RNNLAB_MAX_UPLOAD_BYTES",
    e422="a or b empty, not binary or over RNNLAB_MAX_BITS; an extra field; a model name over 100 characters",
)


@router.post("", responses=ERRORS, response_model=AddResponse, openapi_extra=json_request_body(AddRequest))
async def add(request: Request) -> Response:
    body = json_body(AddRequest, await request.body(), request.headers.get("content-type"))
    check_lengths(body, request.app.state.settings.max_bits)
    try:
        model = loaded_registry(request).adder_model(body.model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    result = await add_one(request, model, body.a, body.b)  # batched with sums of the same width
    metrics = request.app.state.metrics
    metrics.child(metrics.additions, result.model, str(result.correct).lower()).inc()
    metrics.child(metrics.added_bits, result.model).inc(result.bits)
    return Response(result.model_dump_json(), media_type="application/json")  # built valid: no re-validation


def check_lengths(body: AddRequest, max_bits: int) -> None:
    """422, in the same shape as pydantic's own errors, for an operand over the RNNLAB_MAX_BITS cap,
    or a model name too long to be one (the 404 for an unknown name would echo it)."""
    errors = [
        too_long(field, f"has {len(bits)} bits; at most {max_bits} are allowed (RNNLAB_MAX_BITS)", max_bits)
        for field, bits in (("a", body.a), ("b", body.b))
        if len(bits) > max_bits
    ]
    if body.model is not None and len(body.model) > MAX_MODEL_NAME:
        message = f"has {len(body.model)} characters; a model's name has at most {MAX_MODEL_NAME}"
        errors.append(too_long("model", message, MAX_MODEL_NAME))
    if errors:
        raise RequestValidationError(errors)


def too_long(field: str, message: str, limit: int) -> dict[str, Any]:
    return {
        "type": "string_too_long",
        "loc": ("body", field),
        "msg": message,
        "input": None,  # never echo a long input back
        "ctx": {"max_length": limit},
    }
