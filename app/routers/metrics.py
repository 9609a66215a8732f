"""GET /metrics: Prometheus text format (requests, latency, predictions by model and class).

    curl localhost:8000/metrics | grep rnnlab_digit_predictions
"""

from fastapi import APIRouter, Response

from app.deps import MetricsDep
from app.metrics import CONTENT_TYPE

router = APIRouter(prefix="/metrics", tags=["monitoring"])


@router.get("", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics_text(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)
