"""Recompute a checkpoint's metrics from its weights, never from its card.

python -m training evaluate mnist-lstm-128            # a readable summary
python -m training evaluate adder-lstm-3 --json       # one JSON object; test_accuracy is a fraction

from training.evaluate import evaluate_checkpoint
metrics = evaluate_checkpoint(Path("models_store/mnist-gru-128"))
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from training.checkpoint import load_checkpoint
from training.mnist import load_test_set, to_inputs


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    predictions: torch.Tensor  # (n,) int64


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> EvalResult:
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


def evaluate_checkpoint(directory: Path, data_dir: Path | None = None) -> dict[str, Any]:
    """The checkpoint's metrics, recomputed: test metrics for digits, length sweeps for adders."""
    model, card = load_checkpoint(directory)
    if card["task"] == "adder":
        from training.train_adder import adder_metrics

        return {"name": card["name"], **adder_metrics(model)}
    images, labels = load_test_set(data_dir)
    result = evaluate(model, images, labels)
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
