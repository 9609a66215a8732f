"""The peers' preprocessing, as the usual demos write it: PIL to grey, invert, resize to 28x28."""

import io
from pathlib import Path

import torch
from PIL import Image, ImageOps

WEIGHTS = Path(__file__).resolve().parents[2] / "models_store" / "mnist-lstm-128"  # rnnlab's committed checkpoint


def pixels(data: bytes) -> torch.Tensor:
    """Upload bytes -> (28, 28) float32 in [0, 1], bright digit on black."""
    image = ImageOps.invert(Image.open(io.BytesIO(data)).convert("L")).resize((28, 28))
    return torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).reshape(28, 28).float() / 255
