"""GET /health/live and /health/ready: the probes for compose, Kubernetes and load balancers.

    curl -f localhost:8000/health/ready     # 200 once every model is loaded, 503 before
"""

from fastapi import APIRouter, HTTPException, Request

from app.registry import Registry
from app.schemas import Health, error_responses

router = APIRouter(prefix="/health", tags=["health"])


def loaded(request: Request) -> Registry | None:
    registry: Registry | None = getattr(request.app.state, "registry", None)
    return registry


@router.get("/live")
def live(request: Request) -> Health:
    """The process answers HTTP (models loaded or not)."""
    registry = loaded(request)
    return Health(status="live", models=0 if registry is None else len(registry.models))


@router.get("/ready", responses=error_responses(e503="the models are not loaded"))
def ready(request: Request) -> Health:
    """Every checkpoint in RNNLAB_MODELS_DIR is loaded and verified."""
    registry = loaded(request)
    if registry is None:
        raise HTTPException(503, "not ready: the models are not loaded yet")
    return Health(status="ready", models=len(registry.models))
