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
    e422="a or b empty, not binary or over RNNLAB_MAX_BITS (RNNLAB_MAX_STEP_BITS with steps); an extra field; "
    "a model name over 100 characters",
)


@router.post("", responses=ERRORS, response_model_exclude_unset=True)  # the steps only when asked for
async def add(
    body: AddRequest, registry: RegistryDep, batchers: BatchersDep, settings: SettingsDep, metrics: MetricsDep
) -> AddResponse:
    """Add two binary numbers. With `"steps": true`, the answer also has `steps`, the adder after each
    column (least-significant first): P(sum bit = 1), its hidden state h and its cell state c, from a
    step-by-step pass that matches the fused one; and `carry_unit`, the unit that tracks the carry,
    or null with `carry_note` saying why. For operands of at most RNNLAB_MAX_STEP_BITS bits."""
    for field, bits in (("a", body.a), ("b", body.b)):
        if len(bits) > settings.max_bits:  # a setting, so checked here rather than in the schema
            detail = f"body.{field}: has {len(bits)} bits; at most {settings.max_bits} are allowed (RNNLAB_MAX_BITS)"
            raise HTTPException(422, detail)
    width = max(len(body.a), len(body.b))
    if body.steps and width > settings.max_step_bits:
        detail = (
            f"body.steps: the operands have {width} bits; steps are given for at most {settings.max_step_bits} "
            "(RNNLAB_MAX_STEP_BITS): ask without steps, or for a shorter sum"
        )
        raise HTTPException(422, detail)
    try:
        model = registry.adder_model(body.model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    result = await batchers.add(model, body.a, body.b, body.steps)
    metrics.child(metrics.additions, result.model, str(result.correct).lower()).inc()
    metrics.child(metrics.added_bits, result.model).inc(result.bits)
    return result
