"""Distillation: a digit model learns from the ensemble of the other committed digit models as well as the labels.

    teacher = teacher_probabilities(store, data.train_images, exclude="mnist-rnn-128")
    loss = distilled_loss(logits, labels, teacher[batch], weight=0.5)

The teachers' probabilities are computed once, on the training images as MNIST has them
(float32, as the service runs them); an augmented image keeps its original's soft target.
"""

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from training.checkpoint import checkpoint_dirs, load_checkpoint, read_card
from training.mnist import to_inputs

TEMPERATURE = 2.0  # softens the teachers' and the student's probabilities alike
STORE = Path(__file__).resolve().parents[1] / "models_store"


def teacher_probabilities(
    store: Path, images: torch.Tensor, exclude: str, batch: int = 2000
) -> tuple[torch.Tensor, dict[str, Any]]:
    """The mean softened probabilities (n, 10) of every digit model in store but exclude, and their sha256s.

    images: uint8 (n, 28, 28). Each teacher's logits are divided by TEMPERATURE before the softmax.
    """
    directories = [d for d in checkpoint_dirs(store) if read_card(d)["task"] == "digits" and d.name != exclude]
    if not directories:
        raise FileNotFoundError(f"no digit models to distil from in {store}")
    total = torch.zeros(len(images), 10)
    teachers = {}
    for directory in directories:
        model, card = load_checkpoint(directory)
        model.eval()
        with torch.no_grad():
            for start in range(0, len(images), batch):
                logits = model(to_inputs(images[start : start + batch]))
                total[start : start + batch] += (logits / TEMPERATURE).softmax(1)
        teachers[card["name"]] = card["sha256"]
    return total / len(directories), teachers


def distilled_loss(logits: torch.Tensor, labels: torch.Tensor, teacher: torch.Tensor, weight: float) -> torch.Tensor:
    """(1 - weight) * cross-entropy on the labels + weight * T^2 * KL(teacher || student at temperature T).

    logits (batch, 10) float32, labels (batch,), teacher (batch, 10) probabilities. The T^2 keeps the
    soft term's gradients on the scale of the hard one's.
    """
    hard = F.cross_entropy(logits, labels)
    soft = F.kl_div((logits / TEMPERATURE).log_softmax(1), teacher, reduction="batchmean")
    return (1 - weight) * hard + weight * TEMPERATURE**2 * soft
