"""GET /models, /models/{name}, /models/{name}/plots/{file}: the zoo, each card, each card's plots.

    curl localhost:8000/models
    curl localhost:8000/models/mnist-lstm-128
    curl -o loss.png localhost:8000/models/mnist-lstm-128/plots/loss.png
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from fastapi import Path as PathParam

from app.deps import RegistryDep
from app.registry import PLOT_NAME, LoadedModel, Registry, UnknownModel, headline_metric
from app.schemas import HeadlineMetric, ModelCard, ModelSummary, error_responses

router = APIRouter(prefix="/models", tags=["models"])

ModelName = Annotated[
    str, PathParam(description="a model's name, as GET /models lists it", examples=["mnist-lstm-128"])
]
PlotFile = Annotated[
    str,
    PathParam(pattern=PLOT_NAME.pattern, description="a PNG file the card lists under `plots`", examples=["loss.png"]),
]
NOT_FOUND = error_responses(e404="unknown model or plot", e422="a plot name that is not a plain *.png file name")


@router.get("")
def list_models(registry: RegistryDep) -> list[ModelSummary]:
    return [summary(model, registry) for model in registry.models.values()]


@router.get("/{name}", responses=NOT_FOUND)
def model_card(name: ModelName, registry: RegistryDep) -> ModelCard:
    model = find(registry, name)
    return ModelCard(**model.card, plots=list(model.plots))


@router.get(
    "/{name}/plots/{file}",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"image/png": {}}, "description": "the PNG file"}},
)
def model_plot(name: ModelName, file: PlotFile, registry: RegistryDep) -> Response:
    model = find(registry, name)
    if file not in model.plots:
        raise HTTPException(404, f"{name} has no plot {file!r}; it has: {', '.join(model.plots) or 'none'}")
    # Bytes read at startup; the checkpoint is immutable while served, so caches may keep it an hour.
    return Response(model.plots[file], media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


def find(registry: Registry, name: str) -> LoadedModel:
    try:
        return registry.get(name)
    except UnknownModel as error:
        raise HTTPException(404, str(error)) from error


def summary(model: LoadedModel, registry: Registry) -> ModelSummary:
    metric, value = headline_metric(model.card)
    return ModelSummary(
        name=model.name,
        task=model.card["task"],
        parameters=model.card["parameters"],
        architecture=model.card["architecture"],
        metric=HeadlineMetric(name=metric, value=value),
        sha256=model.card["sha256"],
        default=model.name in (registry.default_digit, registry.default_adder),
    )
