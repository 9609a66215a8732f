"""The metrics that cards hold, computed from a model's weights: one definition for training and evaluate.

from training.metrics import adder_metrics, digit_metrics, score_digits
result = score_digits(model, images, labels)        # uint8 (n, 28, 28) -> loss, accuracy, predictions
digit_metrics(result.predictions, labels)["test_accuracy"]
adder_metrics(adder)["exact_accuracy"]               # fixed draws: the same figures on every run
"""

import random
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from training.bits import adversarial_pairs, encode_numbers, random_pairs
from training.mnist import to_inputs
from training.model import BinaryAdder

METRIC_LENGTHS = tuple(range(1, 21))  # bit and exact-sum accuracy at each, as the seed measured
METRIC_EXAMPLES = 100  # random examples per length 1..20
LONG_LENGTHS = (100, 1000, 10000)  # exact-sum accuracy far beyond every regime
LONG_EXAMPLES = 100  # random examples per long length (adversarial ones are fixed patterns)
METRIC_SEED = 20_000  # the card's test draws; training and validation use other seeds


def exact_and_bit_accuracy(model: BinaryAdder, pairs: list[tuple[int, int]], length: int) -> tuple[float, float]:
    """(exact-sum accuracy, bit accuracy) of the model on pairs of one length."""
    inputs, targets = encode_numbers(pairs, length)
    device = next(model.parameters()).device
    with torch.no_grad():
        right = (model(inputs.to(device)).cpu() > 0) == targets.bool()  # (n, length)
    return right.all(1).float().mean().item(), right.float().mean().item()


def adder_metrics(model: BinaryAdder) -> dict[str, Any]:
    """The card's metrics, recomputed deterministically from the weights (a few seconds on a CPU)."""
    rng = random.Random(METRIC_SEED)
    exact, bit = zip(
        *(
            exact_and_bit_accuracy(model, random_pairs(length, METRIC_EXAMPLES, rng), length)
            for length in METRIC_LENGTHS
        ),
        strict=True,
    )
    long_random = [exact_and_bit_accuracy(model, random_pairs(n, LONG_EXAMPLES, rng), n)[0] for n in LONG_LENGTHS]
    long_adversarial = [exact_and_bit_accuracy(model, adversarial_pairs(n), n)[0] for n in LONG_LENGTHS]
    return {
        "bit_accuracy": round(sum(bit) / len(bit), 6),
        "exact_accuracy": round(sum(exact) / len(exact), 6),
        "by_length": {
            "lengths": list(METRIC_LENGTHS),
            "bit_accuracy": [round(v, 6) for v in bit],
            "exact_accuracy": [round(v, 6) for v in exact],
            "examples_per_length": METRIC_EXAMPLES,
        },
        "long": {
            "lengths": list(LONG_LENGTHS),
            "random_exact": [round(v, 6) for v in long_random],
            "adversarial_exact": [round(v, 6) for v in long_adversarial],
            "random_examples": LONG_EXAMPLES,
            "adversarial_examples": len(adversarial_pairs(LONG_LENGTHS[0])),
        },
    }


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    predictions: torch.Tensor  # (n,) int64


def score_digits(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> EvalResult:
    """Mean cross-entropy, accuracy and predictions over uint8 images (n, 28, 28)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_loss, predictions = 0.0, []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = to_inputs(images[start : start + batch_size]).to(device)
            y = labels[start : start + batch_size].to(device)
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            predictions.append(logits.argmax(1).cpu())
    model.train(was_training)
    predicted = torch.cat(predictions)
    accuracy = (predicted == labels).float().mean().item()
    return EvalResult(total_loss / len(images), accuracy, predicted)


def digit_metrics(predictions: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """Test accuracy (a fraction), per-class accuracy and the confusion matrix (rows: true)."""
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    confusion.index_put_((labels, predictions), torch.ones_like(labels), accumulate=True)
    per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    return {
        "test_accuracy": round((predictions == labels).float().mean().item(), 6),
        "test_examples": len(labels),
        "per_class_accuracy": [round(v, 6) for v in per_class.tolist()],
        "confusion_matrix": confusion.tolist(),
    }
