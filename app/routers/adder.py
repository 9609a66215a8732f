"""POST /add: two bit strings -> the adder's sum, checked against Python's integers.

    curl -H 'content-type: application/json' -d '{"a": "1011", "b": "110"}' localhost:8000/add
"""

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError

from app.deps import MetricsDep, RegistryDep, SettingsDep, run_in_pool
from app.predict import add_batch
from app.registry import UnknownModel
from app.schemas import AddRequest, AddResponse, error_responses

router = APIRouter(prefix="/add", tags=["adder"])

ERRORS = error_responses(
    e400="a body that cannot be read as text",
    e404="unknown adder",
    e413="a body over RNNLAB_MAX_UPLOAD_BYTES",
    e422="a or b is empty, not binary, or longer than RNNLAB_MAX_BITS; an extra field",
)


@router.post("", responses=ERRORS)
async def add(
    request: Request, body: AddRequest, registry: RegistryDep, settings: SettingsDep, metrics: MetricsDep
) -> AddResponse:
    check_lengths(body, settings.max_bits)
    try:
        model = registry.adder_model(body.model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    result = (await run_in_pool(request, add_batch, model, [(body.a, body.b)]))[0]  # a batch of one
    metrics.additions.labels(result.model, str(result.correct).lower()).inc()
    metrics.added_bits.labels(result.model).inc(result.bits)
    return result


def check_lengths(body: AddRequest, max_bits: int) -> None:
    """422, in the same shape as pydantic's own errors, for an operand over the RNNLAB_MAX_BITS cap."""
    errors = [
        {
            "type": "string_too_long",
            "loc": ("body", field),
            "msg": f"has {len(bits)} bits; at most {max_bits} are allowed (RNNLAB_MAX_BITS)",
            "input": None,  # never echo a long input back
            "ctx": {"max_length": max_bits},
        }
        for field, bits in (("a", body.a), ("b", body.b))
        if len(bits) > max_bits
    ]
    if errors:
        raise RequestValidationError(errors)
