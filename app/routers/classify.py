"""POST /classify: an uploaded image -> the digit, from one model, the ensemble or all of them.

    curl -F file=@digit.png 'localhost:8000/classify?model=all'

The route reads the body itself (app/upload.py) and answers with the JSON it serialises itself:
FastAPI's UploadFile parameter, its dependencies and its response validation cost more than the
rest of a request. Every upload is preprocessed in the thread pool (app/preprocess); then it
is classified in a micro-batch with concurrent requests for the same models (app/batching.py).
"""

from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import StringConstraints, TypeAdapter, ValidationError

from app.batching import classify_one, expect_image
from app.deps import RequestRoute, loaded_registry, request_error, run_in_pool
from app.metrics import Metrics
from app.predict import ZooAnswer
from app.preprocess import ImageRejected, preprocess, to_png_data_url
from app.registry import MAX_MODEL_NAME, MODEL_NAME, LoadedModel, UnknownModel
from app.schemas import ClassifyAllResponse, ClassifyResponse, Prediction, error_responses
from app.upload import UPLOAD_BODY, image_part

router = APIRouter(prefix="/classify", tags=["digits"], route_class=RequestRoute)

# `?model=`, read by model_choice rather than declared as a FastAPI Query parameter: solving the
# route's parameters cost 30 µs a request, a tenth of it. The same constraints, the same 422.
MODEL_CHOICE = TypeAdapter(
    Annotated[
        str,
        StringConstraints(
            min_length=1,
            max_length=MAX_MODEL_NAME,
            pattern=MODEL_NAME.pattern,
        ),
    ]
)
MODEL_PARAMETER = {
    "name": "model",
    "in": "query",
    "required": False,
    "description": "a digit model's name; `ensemble` (mean of every model's probabilities); "
    "`all` (every model's answer plus the ensemble). Default: the best model by test accuracy.",
    "schema": MODEL_CHOICE.json_schema(),
    "examples": {name: {"value": name} for name in ("mnist-bilstm-128", "ensemble", "all")},
}
ERRORS = error_responses(
    e400="the file could not be decoded as an image",
    e404="unknown model",
    e413="too many bytes or too many pixels",
    e415="not an image type the service decodes",
    e422="no `file` field, several, or an image without ink; a malformed `model`",
)


@router.post(
    "",
    responses=ERRORS,
    response_model=ClassifyResponse | ClassifyAllResponse,
    openapi_extra={**UPLOAD_BODY, "parameters": [MODEL_PARAMETER]},
)
async def classify(request: Request) -> Response:
    model = model_choice(request)
    try:
        models = loaded_registry(request).digit_models(model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    data = image_part(await request.body(), request.headers.get("content-type"))  # capped by BodyLimitMiddleware
    pixels = await prepared(request, models, data)
    preview = to_png_data_url(pixels)
    answer = await classify_one(request, models, pixels)  # batched with concurrent requests (RNNLAB_MICRO_BATCHING)
    response = shape_response(model, answer, preview)
    count_predictions(request.app.state.metrics, response)
    return Response(response.model_dump_json(), media_type="application/json")  # built valid: no re-validation


def model_choice(request: Request) -> str | None:
    """The `model` query parameter, or None; a 422 in FastAPI's validation shape when it is malformed."""
    value = request.query_params.get("model")  # the last one, if repeated, as FastAPI takes it
    if value is None:
        return None
    try:
        return MODEL_CHOICE.validate_python(value)
    except ValidationError as error:
        raise request_error(error, "query", "model") from None


async def prepared(request: Request, models: list[LoadedModel], data: bytes) -> np.ndarray:
    """Any other upload -> (28, 28) float32 in [0, 1]; HTTPException with what is wrong with it."""
    try:
        with expect_image(request, models):  # the batcher may wait for this image
            pixels = await run_in_pool(request, preprocess, data, request.app.state.settings.max_pixels)
    except ImageRejected as error:
        raise HTTPException(error.status_code, error.detail) from error
    return pixels


def shape_response(choice: str | None, answer: ZooAnswer, preview: str) -> ClassifyResponse | ClassifyAllResponse:
    if choice == "all":
        return ClassifyAllResponse(preview=preview, ensemble=answer.ensemble, results=answer.results)
    chosen = answer.ensemble if choice == "ensemble" else answer.results[0]
    return ClassifyResponse(**chosen.__dict__, preview=preview)  # the fields, as they are


def count_predictions(metrics: Metrics, response: ClassifyResponse | ClassifyAllResponse) -> None:
    predictions: list[Prediction] = (
        [*response.results, response.ensemble] if isinstance(response, ClassifyAllResponse) else [response]
    )
    for prediction in predictions:
        metrics.child(metrics.digit_predictions, prediction.model, str(prediction.digit)).inc()
