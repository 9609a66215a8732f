"""Prediction as plain functions over batches: no HTTP, no disk, callable from a test or a batcher.

    from app.predict import add_batch, classify_batch
    answers = classify_batch(registry.digit_models("all"), images)   # images: (batch, 28, 28) float32 in [0, 1]
    answers[0].ensemble.digit, [r.digit for r in answers[0].results]
    add_batch(registry.adder_model(None), [("1011", "110")])[0].sum   # '10001'

Both are CPU-bound: the batchers run them on their inference thread (app/batching.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from app.registry import LoadedModel
from app.schemas import AdderStep, AddResponse, CarryUnit, Prediction
from training.bits import add_bit_strings_batch, encode_pairs
from training.model import BinaryAdder, DigitClassifier
from training.reading import CARRY_TRACKED

DECIMALS = 6  # probabilities are rounded in responses: 10,001 of them for a 10,000-bit sum
STATE_DECIMALS = 3  # a digit model's hidden states, 28 x 128 or 28 x 256 of them, in [-1, 1] or so


@dataclass(frozen=True)
class ZooAnswer:
    """Every model's probabilities for one image; their answers and ensemble are made when asked for
    (a route shows one model's answer at a time, so only that one is built)."""

    models: tuple[str, ...]  # names, in the order the models were given
    probabilities: np.ndarray  # (models, 10) float32
    steps: np.ndarray | None = None  # (models, 28 rows, 10) float32 when asked for; its last row is `probabilities`
    states: tuple[np.ndarray, ...] = ()  # with steps, each model's (28 rows, hidden * directions): what its head read

    @property
    def results(self) -> list[Prediction]:
        steps = [None] * len(self.models) if self.steps is None else list(self.steps)
        return [prediction(*each) for each in zip(self.models, self.probabilities, steps, strict=True)]

    @property
    def ensemble(self) -> Prediction:
        """The mean of the models' probabilities (and of their steps)."""
        steps = None if self.steps is None else self.steps.mean(axis=0)
        return prediction("ensemble", self.probabilities.mean(axis=0), steps)


def digit_probabilities(module: nn.Module, images: np.ndarray) -> np.ndarray:
    """(batch, 28, 28) float32 in [0, 1] -> (batch, 10) softmax probabilities, float32, from one digit model.
    The shape is checked here, with a message that says what is expected."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"digit models read (batch, 28, 28) images, not {images.shape}")
    with torch.inference_mode():
        logits = module(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)))  # rows are time steps
        return torch.softmax(logits, dim=1).numpy()


def step_answers(module: nn.Module, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(batch, 28, 28) float32 in [0, 1] -> the softmax probabilities after each row (batch, 28 rows, 10)
    and the states the head read (batch, 28 rows, hidden * directions): DigitClassifier.step_states,
    step t reading rows 1..t alone; the last step is the answer."""
    if not isinstance(module, DigitClassifier):
        raise TypeError(f"a {type(module).__name__} is not a digit model")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"digit models read (batch, 28, 28) images, not {images.shape}")
    with torch.inference_mode():
        states = module.step_states(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)))
        return torch.softmax(module.head(states), dim=-1).numpy(), states.numpy()


def rounded(values: np.ndarray, decimals: int = DECIMALS) -> list[Any]:
    """Probabilities as the responses give them: rounded to DECIMALS, as Python floats."""
    result: list[Any] = np.round(values.astype(np.float64), decimals).tolist()
    return result


def hidden_states(answer: ZooAnswer) -> list[list[float]]:
    """The first model's states after each row, (28, hidden * directions), as a response gives them."""
    if not answer.states:
        raise ValueError("the answer has no states: classify_batch gives them with steps")
    return rounded(answer.states[0], STATE_DECIMALS)


def prediction(name: str, probabilities: np.ndarray, steps: np.ndarray | None = None) -> Prediction:
    """(10,) probabilities (and (28, 10) steps) -> the answer of the model called `name`, rounded to DECIMALS."""
    answer: list[float] = rounded(probabilities)
    digit = answer.index(max(answer))  # the first of equals, as np.argmax
    answered = Prediction(model=name, digit=digit, confidence=answer[digit], probabilities=answer)
    if steps is not None:
        answered.steps = rounded(steps)  # set only when asked for: the routes leave unset fields out
    return answered


def classify_batch(models: Sequence[LoadedModel], images: np.ndarray, steps: bool = False) -> list[ZooAnswer]:
    """Run every model once over the whole batch; one ZooAnswer per image. With `steps`, that one
    pass is step_logits', whose last row is the answer (the bidirectional models read each prefix)."""
    if not models:
        raise ValueError("classify_batch needs at least one digit model")
    names = tuple(model.name for model in models)
    if steps:
        answers = [step_answers(model.module, images) for model in models]
        by_row = np.stack([probabilities for probabilities, _ in answers], axis=1)  # (batch, models, 28, 10)
        states = [tuple(each[image] for _, each in answers) for image in range(len(images))]
        return [ZooAnswer(names, rows[:, -1], rows, held) for rows, held in zip(by_row, states, strict=True)]
    by_image = np.stack([digit_probabilities(model.module, images) for model in models], axis=1)  # (batch, models, 10)
    return [ZooAnswer(names, probabilities) for probabilities in by_image]


def exact_sum(a: str, b: str, width: int) -> str:
    """The oracle: a + b with Python integers, MSB first, zero-padded to `width` bits."""
    return format(int(a, 2) + int(b, 2), "b").zfill(width)


def add_batch(model: LoadedModel, pairs: list[tuple[str, str]], steps: bool = False) -> list[AddResponse]:
    """The adder's sum of each (a, b) (MSB-first bit strings) in one forward pass, checked against the
    oracle; with `steps`, its state after every column as well (with_steps)."""
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
    if steps and pairs:
        with_steps(model, pairs, responses)
    return responses


def with_steps(model: LoadedModel, pairs: list[tuple[str, str]], responses: list[AddResponse]) -> None:
    """Set each response's `steps` (its own columns, LSB first) and carry unit, from one stepped pass
    over the batch (BinaryAdder.steps, which matches the fused pass). The LSTM is causal, so the zero
    padding above a narrower sum cannot reach its columns."""
    assert isinstance(model.module, BinaryAdder)  # add_batch checked it
    with torch.inference_mode():
        states = model.module.steps(encode_pairs(pairs, max(response.bits for response in responses)))
    by_step = (torch.sigmoid(states.logits.double()), states.hidden, states.cell)  # (batch, steps[, hidden])
    unit, note = carry_unit(model)
    for row, response in enumerate(responses):
        p, h, c = (rounded(values[row, : response.bits].numpy()) for values in by_step)
        response.steps = [AdderStep(probability=pi, hidden=hi, cell=ci) for pi, hi, ci in zip(p, h, c, strict=True)]
        response.carry_unit, response.carry_note = unit, note


def carry_unit(model: LoadedModel) -> tuple[CarryUnit | None, str]:
    """The adder's carry unit as the API gives it, or None, and a sentence that says which (or why none)."""
    unit = model.carry
    if unit is not None and unit.tracks:
        found = CarryUnit(unit=unit.unit, state=unit.state, correlation=unit.correlation)
        return found, f"{unit.state} unit {unit.unit} tracks the carry: r = {unit.correlation:+.2f}"
    closest = "" if unit is None else f"; the closest, {unit.state} unit {unit.unit}, has r = {unit.correlation:+.2f}"
    return None, f"no unit tracks the carry well: |r| < {CARRY_TRACKED} for every unit{closest}"
