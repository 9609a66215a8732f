"""Prediction as plain functions over batches: no HTTP, no disk, callable from a test or a batcher.

    from app.predict import add_batch, classify_batch
    answers = classify_batch(registry.digit_models("all"), images)   # images: (batch, 28, 28) float32 in [0, 1]
    answers[0].ensemble.digit, [r.digit for r in answers[0].results]
    add_batch(registry.adder_model(None), [("1011", "110")])[0].sum   # '10001'

Both are CPU-bound: the batchers run them on their inference thread (app/batching.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from app.registry import LoadedModel
from app.schemas import AddResponse, Prediction
from training.bits import add_bit_strings_batch
from training.model import BinaryAdder

DECIMALS = 6  # probabilities are rounded in responses: 10,001 of them for a 10,000-bit sum


@dataclass(frozen=True)
class ZooAnswer:
    """Every model's probabilities for one image; their answers and ensemble are made when asked for
    (a route shows one model's answer at a time; making them all in the batch cost 13 µs an image)."""

    models: tuple[str, ...]  # names, in the order the models were given
    probabilities: np.ndarray  # (models, 10) float32

    @property
    def results(self) -> list[Prediction]:
        return [prediction(name, row) for name, row in zip(self.models, self.probabilities, strict=True)]

    @property
    def ensemble(self) -> Prediction:
        """The mean of the models' probabilities."""
        return prediction("ensemble", self.probabilities.mean(axis=0))


def digit_probabilities(module: nn.Module, images: np.ndarray) -> np.ndarray:
    """(batch, 28, 28) float32 in [0, 1] -> (batch, 10) softmax probabilities, float32, from one digit model.
    The shape is checked here, with a message that says what is expected."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"digit models read (batch, 28, 28) images, not {images.shape}")
    with torch.inference_mode():
        logits = module(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)))  # rows are time steps
        return torch.softmax(logits, dim=1).numpy()


def prediction(name: str, probabilities: np.ndarray) -> Prediction:
    """(10,) probabilities -> the answer of the model called `name`, rounded to DECIMALS."""
    rounded: list[float] = np.round(probabilities.astype(np.float64), DECIMALS).tolist()
    digit = rounded.index(max(rounded))  # the first of equals, as np.argmax
    return Prediction(model=name, digit=digit, confidence=rounded[digit], probabilities=rounded)


def classify_batch(models: Sequence[LoadedModel], images: np.ndarray) -> list[ZooAnswer]:
    """Run every model once over the whole batch; one ZooAnswer per image."""
    if not models:
        raise ValueError("classify_batch needs at least one digit model")
    by_image = np.stack([digit_probabilities(model.module, images) for model in models], axis=1)  # (batch, models, 10)
    names = tuple(model.name for model in models)
    return [ZooAnswer(names, probabilities) for probabilities in by_image]


def exact_sum(a: str, b: str, width: int) -> str:
    """The oracle: a + b with Python integers, MSB first, zero-padded to `width` bits."""
    return format(int(a, 2) + int(b, 2), "b").zfill(width)


def add_batch(model: LoadedModel, pairs: list[tuple[str, str]]) -> list[AddResponse]:
    """The adder's sum of each (a, b) (MSB-first bit strings) in one forward pass, checked against the oracle."""
    if not isinstance(model.module, BinaryAdder):
        raise TypeError(f"{model.name} is a {model.task} model, not an adder")
    responses = []
    for (a, b), result in zip(pairs, add_bit_strings_batch(model.module, pairs, DECIMALS), strict=True):
        expected = exact_sum(a, b, len(result.sum))
        responses.append(
            AddResponse(
                model=model.name,
                sum=result.sum,
                expected=expected,
                correct=result.sum == expected,
                bits=len(result.sum),
                wrong_bits=(int(result.sum, 2) ^ int(expected, 2)).bit_count(),  # the bits that differ
                probabilities=result.probabilities,
            )
        )
    return responses
