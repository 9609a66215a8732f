"""The model zoo in memory: every checkpoint of a store, loaded and verified once.

    from app.registry import load_registry
    registry = load_registry(Path("models_store"))     # CheckpointError if any checkpoint is broken
    registry.digit_models("all")                       # [LoadedModel, ...], the digit models by name
    registry.adder_model(None).name                    # the default adder

The lifespan calls load_registry before the service reports ready; requests only read
the result (models, cards and plot bytes), never the disk.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from training.checkpoint import CheckpointError, checkpoint_dirs, load_checkpoint
from training.model import BinaryAdder
from training.reading import CarryUnit, find_carry_unit

ZOO_CHOICES = ("all", "ensemble")  # /classify's `model` values that pick every digit model
PLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.png$")  # plain file names only: no paths
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # safe in a URL path segment
MAX_MODEL_NAME = 100  # characters a request's model name may have: a 404 echoes it, so keep it short
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UnknownModel(LookupError):
    """A request named a model that is not in the zoo (or not of the task it asked for)."""


@dataclass(frozen=True)
class LoadedModel:
    name: str
    task: str  # "digits" or "adder"
    module: nn.Module  # eval mode, requires_grad off
    card: dict[str, Any]  # the card without its long `history`
    plots: dict[str, bytes] = field(repr=False)  # "loss.png" -> PNG bytes, read at startup
    carry: CarryUnit | None = None  # an adder's unit that best tracks the carry, found at load from its weights


@dataclass(frozen=True)
class Registry:
    models: dict[str, LoadedModel]  # by name, in name order
    default_digit: str | None  # None when the store has no digit model
    default_adder: str | None

    def get(self, name: str) -> LoadedModel:
        if name not in self.models:
            raise UnknownModel(f"unknown model {name!r}; the zoo has: {', '.join(self.models)}")
        return self.models[name]

    def of_task(self, task: str) -> list[LoadedModel]:
        return [model for model in self.models.values() if model.task == task]

    def digit_models(self, choice: str | None) -> list[LoadedModel]:
        """The models /classify runs for `model=choice`: one, or all of them for 'all'/'ensemble'."""
        digits = self.of_task("digits")
        if choice in ZOO_CHOICES and digits:
            return digits
        return [self._one_of("digits", choice, self.default_digit, [*ZOO_CHOICES, *(m.name for m in digits)])]

    def adder_model(self, choice: str | None) -> LoadedModel:
        return self._one_of("adder", choice, self.default_adder, [m.name for m in self.of_task("adder")])

    def _one_of(self, task: str, choice: str | None, default: str | None, allowed: list[str]) -> LoadedModel:
        name = choice or default
        if name is None or (name in ZOO_CHOICES and task == "digits"):  # the store has no model of the task
            raise UnknownModel(f"no {task} model is loaded; the zoo has only: {', '.join(self.models)}")
        if name not in self.models or self.models[name].task != task:
            kind = "digit" if task == "digits" else task
            raise UnknownModel(f"unknown {kind} model {name!r}; choose one of: {', '.join(allowed)}")
        return self.models[name]


def load_model(directory: Path) -> LoadedModel:
    """One checkpoint, hash-verified and rebuilt from its card, with its PNG plots in memory."""
    module, card = load_checkpoint(directory)
    name = str(card["name"])
    if not MODEL_NAME.match(name):
        raise CheckpointError(f"{directory}: model name {name!r} is not a plain name ({MODEL_NAME.pattern})")
    smoke_test(module, card["task"], directory)
    plots = {path.name: path.read_bytes() for path in sorted(directory.glob("*.png")) if PLOT_NAME.match(path.name)}
    for plot, data in plots.items():
        if not data.startswith(PNG_SIGNATURE):
            raise CheckpointError(f"{directory / plot} is not a PNG file")
    card = {key: value for key, value in card.items() if key != "history"}
    carry = find_carry_unit(module) if isinstance(module, BinaryAdder) else None  # on one long random sum
    return LoadedModel(name, card["task"], module, card, plots, carry)


def smoke_test(module: nn.Module, task: str, directory: Path) -> None:
    """One forward pass, so a model that cannot answer fails startup (and torch warms up)."""
    # digits: (1 image, 28 rows, 28 pixels) -> (1, 10); adder: (1 sum, 8 steps, 2 bits) -> (1, 8)
    probe, expected = (torch.zeros(1, 28, 28), (1, 10)) if task == "digits" else (torch.zeros(1, 8, 2), (1, 8))
    with torch.inference_mode():
        output = module(probe)
    if tuple(output.shape) != expected or not bool(torch.isfinite(output).all()):
        raise CheckpointError(f"{directory}: a {task} model must map {tuple(probe.shape)} to {expected} finite values")


def load_registry(models_dir: Path, default_digit: str = "", default_adder: str = "") -> Registry:
    """Load every checkpoint in `models_dir`; CheckpointError names the first that is broken."""
    directories = checkpoint_dirs(models_dir)
    if not directories:
        raise CheckpointError(f"no checkpoints (*/card.json) in {models_dir}; train some with `python -m training`")
    models: dict[str, LoadedModel] = {}
    for directory in directories:
        model = load_model(directory)
        if model.name in models:
            raise CheckpointError(f"two checkpoints are named {model.name!r}; the second is {directory}")
        models[model.name] = model
    for task, name in (("digits", default_digit), ("adder", default_adder)):
        if name and (name not in models or models[name].task != task):
            raise CheckpointError(f"the default {task} model {name!r} is not a {task} model in {models_dir}")
    return Registry(
        models,
        default_digit or best_model(models, "digits", digit_score),
        default_adder or best_model(models, "adder", adder_score),
    )


def digit_score(card: dict[str, Any]) -> tuple[float, ...]:
    return (float(card.get("metrics", {}).get("test_accuracy", 0.0)),)


def adder_score(card: dict[str, Any]) -> tuple[float, ...]:
    """Exact sums on lengths 1-20 first, then exact sums at the longest length tested (random,
    then adversarial carry chains), then bit accuracy: /add takes up to 10,000 bits."""
    metrics = card.get("metrics", {})
    long = metrics.get("long", {})
    return (
        float(metrics.get("exact_accuracy", 0.0)),
        float((long.get("random_exact") or [0.0])[-1]),
        float((long.get("adversarial_exact") or [0.0])[-1]),
        float(metrics.get("bit_accuracy", 0.0)),
    )


def best_model(
    models: dict[str, LoadedModel], task: str, score: Callable[[dict[str, Any]], tuple[float, ...]]
) -> str | None:
    """The name of the task's best model by `score(card)`; ties go to the first name."""
    candidates = [model for model in models.values() if model.task == task]
    if not candidates:
        return None
    return max(candidates, key=lambda model: score(model.card)).name


Headline = Literal["test_accuracy", "exact_accuracy"]


def headline_metric(card: dict[str, Any]) -> tuple[Headline, float | None]:
    """The one number /models shows: test accuracy for digits, exact-sum accuracy for adders."""
    metric: Headline = "test_accuracy" if card["task"] == "digits" else "exact_accuracy"
    value = card.get("metrics", {}).get(metric)
    return metric, None if value is None else float(value)
