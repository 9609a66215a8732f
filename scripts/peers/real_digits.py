"""The peers' pipeline (pipeline.py) with mnist-lstm-128 on ../shared/real-digits: how many it reads right.

    PYTHONPATH=.:scripts/peers .venv/bin/python scripts/peers/real_digits.py

`python scripts/real_digits.py` gives rnnlab's own figures on the same images.
"""

import csv
from pathlib import Path

import pipeline
import torch

from training.checkpoint import load_checkpoint

REAL_DIGITS = Path(__file__).resolve().parents[3] / "shared" / "real-digits"


def main() -> None:
    if not (REAL_DIGITS / "manifest.csv").is_file():
        raise SystemExit(f"no real digits at {REAL_DIGITS}")
    model, _ = load_checkpoint(pipeline.WEIGHTS)
    rows = list(csv.DictReader((REAL_DIGITS / "manifest.csv").open()))
    with torch.inference_mode():
        right = sum(
            int(model(pipeline.pixels((REAL_DIGITS / row["path"]).read_bytes())[None]).argmax()) == int(row["label"])
            for row in rows
        )
    share = 100 * right / len(rows)
    print(f"the peers' pipeline with mnist-lstm-128: {right} of {len(rows)} real digits ({share:.1f} %)")


if __name__ == "__main__":
    main()
