"""The paper test set (training/paper.py) through the pipeline: are the lines gone, the strokes kept?

    python scripts/paper_set.py                    # the 400 images, the ensemble of models_store/
    python scripts/paper_set.py --per-class 10 --json

For each image, the digit over squared or ruled paper and the same digit on blank paper both go
through app.preprocess.preprocess. Printed: the ensemble's accuracy on each (bar: 98 % on the
lined), the mean absolute pixel difference between the two 28x28 inputs, and the share of images
within tolerance: a difference of at most 0.08 and the same ensemble answer (bar: 95 %).
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.predict import classify_batch  # noqa: E402
from app.preprocess import ImageRejected, preprocess  # noqa: E402
from app.registry import load_registry  # noqa: E402
from training.paper import KINDS, PER_CLASS, paper_set  # noqa: E402

MAX_PIXELS = 40_000_000
TOLERANCE = 0.08  # mean absolute pixel difference from the blank-paper version


def pixels(data: bytes) -> np.ndarray:
    """The 28x28 input, or zeros where the pipeline refuses the image (the models then guess)."""
    try:
        return preprocess(data, MAX_PIXELS)
    except ImageRejected:
        return np.zeros((28, 28), np.float32)


def ensemble_digits(models: list, images: np.ndarray) -> np.ndarray:
    return np.array([answer.probabilities.mean(axis=0).argmax() for answer in classify_batch(models, images)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models_store")
    parser.add_argument("--per-class", type=int, default=PER_CLASS, help="images of each digit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    samples = paper_set(per_class=args.per_class)
    lined = np.stack([pixels(s.lined) for s in samples])
    blank = np.stack([pixels(s.blank) for s in samples])
    models = load_registry(args.models_dir).digit_models("all")
    on_lined, on_blank = ensemble_digits(models, lined), ensemble_digits(models, blank)
    labels = np.array([s.label for s in samples])
    difference = np.abs(lined - blank).mean(axis=(1, 2))
    within = (difference <= TOLERANCE) & (on_lined == on_blank)
    report = {}
    for kind in [*KINDS, "all"]:
        rows = np.array([kind in ("all", s.kind) for s in samples])
        report[kind] = {
            "images": int(rows.sum()),
            "ensemble_right_lined_pct": round(100 * float((on_lined == labels)[rows].mean()), 2),
            "ensemble_right_blank_pct": round(100 * float((on_blank == labels)[rows].mean()), 2),
            "mean_difference": round(float(difference[rows].mean()), 4),
            "within_tolerance_pct": round(100 * float(within[rows].mean()), 2),
        }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"paper set: {len(samples)} images (bars: lined >= 98 %, within tolerance >= 95 %)\n")
    print(f"{'paper':8} {'images':>6} {'right lined':>12} {'right blank':>12} {'mean |diff|':>12} {'within':>8}")
    for kind, row in report.items():
        right = f"{row['ensemble_right_lined_pct']:>10.1f} % {row['ensemble_right_blank_pct']:>10.1f} %"
        within = f"{row['mean_difference']:>12.4f} {row['within_tolerance_pct']:>6.1f} %"
        print(f"{kind:8} {row['images']:>6} {right} {within}")


if __name__ == "__main__":
    main()
