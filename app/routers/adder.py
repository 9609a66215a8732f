"""POST /add: two bit strings -> the adder's sum, checked against Python's integers.

    curl -H 'content-type: application/json' -d '{"a": "1011", "b": "110"}' localhost:8000/add

Sums share a forward pass with concurrent sums of the same width (app/batching.py).
"""

from fastapi import APIRouter, HTTPException

from app.deps import BatchersDep, MetricsDep, RegistryDep, SettingsDep
from app.overload import Admitted
from app.registry import UnknownModel
from app.schemas import AddRequest, AddResponse, error_responses

router = APIRouter(prefix="/add", tags=["adder"], dependencies=[Admitted])

ERRORS = error_responses(
    e400="a body that cannot be read as text",
    e404="unknown adder",
    e413="a body over RNNLAB_MAX_UPLOAD_BYTES",
    e422="a or b empty, not binary or over RNNLAB_MAX_BITS; an extra field; a model name over 100 characters",
)


@router.post("", responses=ERRORS)
async def add(
    body: AddRequest, registry: RegistryDep, batchers: BatchersDep, settings: SettingsDep, metrics: MetricsDep
) -> AddResponse:
    for field, bits in (("a", body.a), ("b", body.b)):
        if len(bits) > settings.max_bits:  # a setting, so checked here rather than in the schema
            detail = f"body.{field}: has {len(bits)} bits; at most {settings.max_bits} are allowed (RNNLAB_MAX_BITS)"
            raise HTTPException(422, detail)
    try:
        model = registry.adder_model(body.model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    result = await batchers.add(model, body.a, body.b)
    metrics.child(metrics.additions, result.model, str(result.correct).lower()).inc()
    metrics.child(metrics.added_bits, result.model).inc(result.bits)
    return result
