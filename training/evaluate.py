"""Recompute a checkpoint's metrics from its weights, never from its card.

python -m training evaluate mnist-lstm-128            # a readable summary
python -m training evaluate adder-lstm-3 --json       # one JSON object; test_accuracy is a fraction

from training.evaluate import evaluate_checkpoint
metrics = evaluate_checkpoint(Path("models_store/mnist-gru-128"))
"""

from pathlib import Path
from typing import Any

from training.checkpoint import load_checkpoint
from training.metrics import adder_metrics, digit_metrics, score_digits
from training.mnist import load_test_set


def evaluate_checkpoint(directory: Path, data_dir: Path | None = None) -> dict[str, Any]:
    """The checkpoint's metrics, recomputed: test metrics for digits, length sweeps for adders."""
    model, card = load_checkpoint(directory)
    if card["task"] == "adder":
        return {"name": card["name"], **adder_metrics(model)}
    images, labels = load_test_set(data_dir)
    result = score_digits(model, images, labels)
    return {"name": card["name"], "test_loss": round(result.loss, 6), **digit_metrics(result.predictions, labels)}


def format_metrics(name: str, metrics: dict[str, Any]) -> str:
    """A few readable lines: headline figures first."""
    if "test_accuracy" in metrics:
        per_class = "  ".join(f"{digit}: {acc:.2%}" for digit, acc in enumerate(metrics["per_class_accuracy"]))
        return (
            f"{name}: test accuracy {metrics['test_accuracy']:.2%} on {metrics['test_examples']} images, "
            f"loss {metrics['test_loss']:.4f}\nper class: {per_class}"
        )
    long = metrics["long"]
    lines = [
        f"{name}: bit accuracy {metrics['bit_accuracy']:.2%}, exact sums {metrics['exact_accuracy']:.2%} (lengths 1-20)"
    ]
    for length, rand, adv in zip(long["lengths"], long["random_exact"], long["adversarial_exact"], strict=True):
        lines.append(f"  {length:>6} bits: exact {rand:.2%} random, {adv:.2%} adversarial")
    return "\n".join(lines)
