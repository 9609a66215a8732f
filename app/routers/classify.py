"""POST /classify: an uploaded image -> the digit, from one model, the ensemble or all of them.

    curl -F file=@digit.png 'localhost:8000/classify?model=all'

An upload already in MNIST's form is taken as is on the event loop (app/preprocess.py's
mnist_as_is: tens of microseconds); any other image is preprocessed in the thread pool. Then it is
classified in a micro-batch with concurrent requests for the same models (app/batching.py).
"""

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile

from app.batching import classify_one, expect_image
from app.deps import MetricsDep, RegistryDep, SettingsDep, run_in_pool
from app.metrics import Metrics
from app.predict import ZooAnswer
from app.preprocess import ImageRejected, mnist_as_is, open_image, prepare, to_png_data_url
from app.registry import MODEL_NAME, UnknownModel
from app.schemas import ClassifyAllResponse, ClassifyResponse, Prediction, error_responses

router = APIRouter(prefix="/classify", tags=["digits"])
MAX_NAME = 100  # characters in `model`

ModelChoice = Annotated[
    str | None,
    Query(
        description="a digit model's name; `ensemble` (mean of every model's probabilities); "
        "`all` (every model's answer plus the ensemble). Default: the best model by test accuracy.",
        examples=["mnist-bilstm-128", "ensemble", "all"],
        min_length=1,
        max_length=MAX_NAME,  # an unknown name is echoed in the 404's detail: keep it short
        pattern=MODEL_NAME.pattern,
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
    e422="no `file` field, several, or an image without ink; a malformed `model`",
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
    await check_one_file(request)
    data = await file.read()  # already capped by BodyLimitMiddleware as it arrived
    try:
        image = open_image(data, settings.max_pixels)  # the header only: microseconds
        pixels = mnist_as_is(image)  # (28, 28) float32 in [0, 1], or None: not in MNIST's form
        if pixels is None:
            with expect_image(request, models):  # the batcher may wait for this image
                pixels = await run_in_pool(request, prepare, image)  # milliseconds: off the event loop
    except ImageRejected as error:
        raise HTTPException(error.status_code, error.detail) from error
    answer = await classify_one(request, models, pixels)  # batched with concurrent requests (RNNLAB_MICRO_BATCHING)
    response = shape_response(model, answer, to_png_data_url(pixels))
    count_predictions(metrics, response)
    return response


async def check_one_file(request: Request) -> None:
    """422 for several `file` parts: FastAPI would silently classify the last one."""
    files = (await request.form()).getlist("file")  # the form FastAPI parsed, cached on the request
    if len(files) > 1:
        raise HTTPException(422, f"send one image in the `file` field; this request has {len(files)}")


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
