"""POST /classify: an uploaded image -> the digit, from one model, the ensemble or all of them.

    curl -F file=@digit.png 'localhost:8000/classify?model=all'

The upload is preprocessed in the thread pool (app/preprocess.py decides everything about the
image), then classified in a micro-batch with concurrent requests for the same models
(app/batching.py).
"""

from typing import Annotated, BinaryIO

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, UploadFile

from app.deps import BatchersDep, MetricsDep, PoolDep, RegistryDep, SettingsDep
from app.metrics import Metrics
from app.overload import Admitted
from app.predict import ZooAnswer, hidden_states
from app.preprocess import ImageRejected, preprocess, to_png_data_url
from app.registry import MAX_MODEL_NAME, MODEL_NAME, ZOO_CHOICES, UnknownModel
from app.schemas import ClassifyAllResponse, ClassifyResponse, Prediction, error_responses

router = APIRouter(prefix="/classify", tags=["digits"], dependencies=[Admitted])

ModelChoice = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_MODEL_NAME,
        pattern=MODEL_NAME.pattern,
        description="a digit model's name; `ensemble` (mean of every model's probabilities); "
        "`all` (every model's answer plus the ensemble). Default: the best model by test accuracy.",
        examples=["mnist-bilstm-128", "ensemble", "all"],
    ),
]
StepsFlag = Annotated[
    bool,
    Query(
        description="also give every model's answer after each row (`steps` in each answer): step t is the "
        "model's answer to the image's first t rows alone, so no step peeks ahead, and step 28 is the answer. "
        "One-directional models give their steps from the pass that answers; the two bidirectional ones read "
        "each of the 28 prefixes again, in one batched pass, their backward direction starting at row t.",
    ),
]
HiddenFlag = Annotated[
    bool,
    Query(
        description="with `steps=true` and one model (not `all` or `ensemble`): also the state its head reads "
        "at each step, `hidden`, 28 rows of 128 or 256 values",
    ),
]
ImageFile = Annotated[
    UploadFile,
    File(
        description="PNG, JPEG, GIF, BMP or WebP, recognised by content; at most RNNLAB_MAX_UPLOAD_BYTES bytes "
        "and RNNLAB_MAX_PIXELS pixels"
    ),
]
ERRORS = error_responses(
    e400="the file could not be decoded as an image",
    e404="unknown model",
    e413="too many bytes or too many pixels",
    e415="not an image type the service decodes",
    e422="no `file` field, or an image without ink; a malformed `model` or `steps`; `hidden` without `steps` "
    "or for more than one model",
)


@router.post("", responses=ERRORS, response_model_exclude_unset=True)  # `steps` only when asked for
async def classify(
    file: ImageFile,
    registry: RegistryDep,
    batchers: BatchersDep,
    pool: PoolDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    model: ModelChoice = None,
    steps: StepsFlag = False,
    hidden: HiddenFlag = False,
) -> ClassifyResponse | ClassifyAllResponse:
    """Classify one image. With `steps=true`, each answer also has `steps`: 28 rows of 10
    probabilities, row t being the model's answer to the image's first t rows alone (the ensemble's:
    the mean of its models'). One-directional models give them from the same pass as the answer;
    the bidirectional two read each prefix again, in one batched pass, their backward direction
    starting at row t. With `hidden=true` as well, for one model, `hidden` holds the state its head
    read at each step."""
    if hidden and (not steps or model in ZOO_CHOICES):
        raise HTTPException(422, "query.hidden: hidden states come with steps=true, for one model at a time")
    try:
        models = registry.digit_models(model)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error
    try:
        pixels = await pool.run(read_and_preprocess, file.file, settings.max_pixels)
    except ImageRejected as error:
        raise HTTPException(error.status_code, error.detail) from error
    answer = await batchers.classify(models, pixels, steps)
    response = shape_response(model, answer, to_png_data_url(pixels))
    if hidden and isinstance(response, ClassifyResponse):
        response.hidden = hidden_states(answer)
    count_predictions(metrics, response)
    return response


def read_and_preprocess(upload: BinaryIO, max_pixels: int) -> np.ndarray:
    """The spooled upload -> (28, 28) float32 in [0, 1]. Its bytes are read here, in the pool's
    thread, so that only the uploads being preprocessed are in memory; the rest wait on disk."""
    return preprocess(upload.read(), max_pixels)


def shape_response(choice: str | None, answer: ZooAnswer, preview: str) -> ClassifyResponse | ClassifyAllResponse:
    if choice == "all":
        return ClassifyAllResponse(preview=preview, ensemble=answer.ensemble, results=answer.results)
    chosen = answer.ensemble if choice == "ensemble" else answer.results[0]
    return ClassifyResponse(**chosen.model_dump(exclude_unset=True), preview=preview)


def count_predictions(metrics: Metrics, response: ClassifyResponse | ClassifyAllResponse) -> None:
    predictions: list[Prediction] = (
        [*response.results, response.ensemble] if isinstance(response, ClassifyAllResponse) else [response]
    )
    for prediction in predictions:
        metrics.child(metrics.digit_predictions, prediction.model, str(prediction.digit)).inc()
