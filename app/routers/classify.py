"""POST /classify: an uploaded image -> the digit, from one model, the ensemble or all of them.

    curl -F file=@digit.png 'localhost:8000/classify?model=all'
"""

from typing import Annotated

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile

from app.deps import MetricsDep, RegistryDep, SettingsDep, run_in_pool
from app.metrics import Metrics
from app.predict import ZooAnswer, classify_batch
from app.preprocess import ImageRejected, preprocess, to_png_data_url
from app.registry import UnknownModel
from app.schemas import ClassifyAllResponse, ClassifyResponse, Prediction, error_responses

router = APIRouter(prefix="/classify", tags=["digits"])

ModelChoice = Annotated[
    str | None,
    Query(
        description="a digit model's name; `ensemble` (mean of every model's probabilities); "
        "`all` (every model's answer plus the ensemble). Default: the best model by test accuracy.",
        examples=["mnist-bilstm-128", "ensemble", "all"],
    ),
]
ImageFile = Annotated[
    UploadFile,
    File(
        description="PNG, JPEG, GIF, BMP or WebP, recognised by content; "
        "at most RNNLAB_MAX_UPLOAD_BYTES bytes and RNNLAB_MAX_PIXELS pixels"
    ),
]
ERRORS = error_responses(
    e400="the file could not be decoded as an image",
    e404="unknown model",
    e413="too many bytes or too many pixels",
    e415="not an image type the service decodes",
    e422="no `file` field, or an image without ink",
)


@router.post("", responses=ERRORS)
async def classify(
    request: Request,
    registry: RegistryDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    file: ImageFile,
    model: ModelChoice = None,
) -> ClassifyResponse | ClassifyAllResponse:
    try:
        models = registry.digit_models(model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    data = await file.read()  # already capped by BodyLimitMiddleware as it arrived
    try:
        pixels = await run_in_pool(request, preprocess, data, settings.max_pixels)  # (28, 28) float32 in [0, 1]
    except ImageRejected as error:
        raise HTTPException(error.status_code, error.detail) from error
    answer = (await run_in_pool(request, classify_batch, models, pixels[np.newaxis]))[0]  # a batch of one
    response = shape_response(model, answer, to_png_data_url(pixels))
    count_predictions(metrics, response)
    return response


def shape_response(choice: str | None, answer: ZooAnswer, preview: str) -> ClassifyResponse | ClassifyAllResponse:
    if choice == "all":
        return ClassifyAllResponse(preview=preview, ensemble=answer.ensemble, results=answer.results)
    chosen = answer.ensemble if choice == "ensemble" else answer.results[0]
    return ClassifyResponse(**chosen.model_dump(), preview=preview)


def count_predictions(metrics: Metrics, response: ClassifyResponse | ClassifyAllResponse) -> None:
    predictions: list[Prediction] = (
        [*response.results, response.ensemble] if isinstance(response, ClassifyAllResponse) else [response]
    )
    for prediction in predictions:
        metrics.digit_predictions.labels(prediction.model, str(prediction.digit)).inc()
