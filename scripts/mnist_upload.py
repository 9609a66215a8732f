"""Every digit model's accuracy on MNIST's test set as tensors and through the upload path.

    python scripts/mnist_upload.py                  # all 10,000 test digits, PNG-encoded
    python scripts/mnist_upload.py --limit 2000 --json

Each test digit is encoded as a PNG, as a client would send it, and goes through
app.preprocess.preprocess (which takes an image already in MNIST's form as it is), and also
through the full pipeline (app.preprocess.to_mnist on the decoded pixels), as if it were not.
The models then read all three versions in batches. The bar: each path within 0.3 points of
the model's raw-tensor accuracy.
"""

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.predict import classify_batch  # noqa: E402
from app.preprocess import decode, preprocess, to_mnist  # noqa: E402
from app.registry import load_registry  # noqa: E402
from training.mnist import load_test_set  # noqa: E402

MAX_PIXELS = 40_000_000
BATCH = 1000


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def accuracies(models: list, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Model name (and "ensemble") -> % right on (n, 28, 28) float32 images, in batches."""
    right: dict[str, int] = {}
    for start in range(0, len(images), BATCH):
        answers = classify_batch(models, images[start : start + BATCH])
        truth = labels[start : start + BATCH]
        for name, index in [*((m.name, i) for i, m in enumerate(models)), ("ensemble", None)]:
            digits = [
                a.probabilities[index].argmax() if index is not None else a.probabilities.mean(0).argmax()
                for a in answers
            ]
            right[name] = right.get(name, 0) + int((np.array(digits) == truth).sum())
    return {name: 100 * count / len(images) for name, count in right.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models_store")
    parser.add_argument("--mnist", type=Path, default=REPO.parent / "shared" / "mnist")
    parser.add_argument("--limit", type=int, default=10_000, help="the first N test digits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    images, labels = (tensor[: args.limit].numpy() for tensor in load_test_set(args.mnist))
    uploads = [png(image) for image in images]
    paths = {
        "tensors": images.astype(np.float32) / 255,
        "upload": np.stack([preprocess(data, MAX_PIXELS) for data in uploads]),
        "full pipeline": np.stack([to_mnist(decode(data, MAX_PIXELS)) for data in uploads]),
    }
    models = load_registry(args.models_dir).digit_models("all")
    table = {path: accuracies(models, pixels, labels) for path, pixels in paths.items()}
    if args.json:
        print(json.dumps({"images": len(images), "accuracy": table}, indent=1))
        return
    print(f"MNIST test set, first {len(images)} digits, accuracy in % (difference from tensors)\n")
    print(f"{'model':18} {'tensors':>8} {'upload':>16} {'full pipeline':>16}")
    for name, raw in table["tensors"].items():
        cells = [f"{table[p][name]:7.2f} ({table[p][name] - raw:+.2f})" for p in ("upload", "full pipeline")]
        print(f"{name:18} {raw:8.2f} {cells[0]:>16} {cells[1]:>16}")


if __name__ == "__main__":
    main()
