"""Accuracy of every digit model on real handwritten digits (../shared/real-digits), per source.

    python scripts/real_digits.py                               # in-process: models_store/ + app.preprocess
    python scripts/real_digits.py --models-dir /tmp/exp --show-errors
    python scripts/real_digits.py --url http://127.0.0.1:8000  # through a running service's /classify?model=all
    python scripts/real_digits.py --json                        # the same figures as JSON
    python scripts/real_digits.py --counts                      # misses by source and by class (Markdown)
    python scripts/real_digits.py --gallery artifacts/real-digits-gallery  # every miss, as HTML

The images are scans, phone photos and canvas drawings, as users upload them; manifest.csv
gives each one's label and source. The ensemble (the mean of every model's probabilities,
as the service computes it) is scored too. An image the preprocessing rejects counts as wrong.
"""

import argparse
import json
import sys
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # app, training and scripts from this checkout

from training.checkpoint import CheckpointError  # noqa: E402
from training.real_digits import (  # noqa: E402
    REAL_DIGITS,
    Sample,
    miss_counts,
    misses,
    predict,
    preprocess_samples,
    read_manifest,
)

DEFAULT_DATA = REAL_DIGITS
DEFAULT_MODELS = REPO / "models_store"
OVERALL = "overall"


def predict_over_http(samples: list[Sample], url: str) -> tuple[dict[str, list[int | None]], list[str]]:
    """POST each sample to {url}/classify?model=all; every model's digit and the ensemble's."""
    answers: list[dict[str, int]] = []  # per sample: model name -> digit
    rejected = []
    try:
        with httpx.Client(base_url=url, timeout=60.0) as client:
            for sample in samples:
                answers.append(classify_over_http(client, sample, rejected))
    except httpx.TransportError as error:
        sys.exit(f"cannot reach {url}: {error}")
    names = dict.fromkeys(name for answer in answers for name in answer)
    return {name: [answer.get(name) for answer in answers] for name in names}, rejected


def classify_over_http(client: httpx.Client, sample: Sample, rejected: list[str]) -> dict[str, int]:
    """Model name -> digit for one sample, from /classify?model=all; {} (and a note) if refused."""
    files = {"file": (sample.path.name, sample.path.read_bytes())}
    response = client.post("/classify", params={"model": "all"}, files=files)
    if response.status_code != 200:
        rejected.append(f"{sample.name}: {response.status_code} {response.text[:200]}")
        return {}
    body = response.json()
    return {r["model"]: r["digit"] for r in [*body["results"], body["ensemble"]]}


def accuracy_table(samples: list[Sample], predictions: dict[str, list[int | None]]) -> dict[str, dict[str, float]]:
    """model -> {source: accuracy in %, ..., "overall": accuracy in %}."""
    sources = list(dict.fromkeys(s.source for s in samples))
    labels = np.array([s.label for s in samples])
    table = {}
    for name, predicted in predictions.items():
        right = np.array([p == label for p, label in zip(predicted, labels, strict=True)])
        by_source = {src: right[[s.source == src for s in samples]].mean() for src in sources}
        table[name] = {key: round(100 * float(share), 2) for key, share in {**by_source, OVERALL: right.mean()}.items()}
    return table


def format_table(samples: list[Sample], table: dict[str, dict[str, float]]) -> str:
    counts = {src: sum(s.source == src for s in samples) for src in dict.fromkeys(s.source for s in samples)}
    columns = [*(f"{src} ({n})" for src, n in counts.items()), f"{OVERALL} ({len(samples)})"]
    width = max(len(name) for name in table)
    lines = [" ".join([" " * width, *columns])]
    for name, row in table.items():
        cells = [f"{value:{len(column) - 2}.1f} %" for value, column in zip(row.values(), columns, strict=True)]
        lines.append(" ".join([name.ljust(width), *cells]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with manifest.csv")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS, help="in-process: the model store")
    parser.add_argument("--url", help="a running service to call instead, e.g. http://127.0.0.1:8000")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--show-errors", action="store_true", help="also list every misclassified image")
    parser.add_argument("--counts", action="store_true", help="also print misses by source and class (Markdown)")
    parser.add_argument("--gallery", type=Path, help="in-process: write every miss as HTML into this folder")
    args = parser.parse_args(argv)
    if not (args.data / "manifest.csv").is_file():
        sys.exit(f"no manifest.csv in {args.data}: the real digits live outside the repo, in ../shared")
    samples = read_manifest(args.data)
    if args.url:
        predictions, rejected = predict_over_http(samples, args.url.rstrip("/"))
    else:
        try:
            predictions, rejected = predict(samples, args.models_dir)
        except CheckpointError as error:
            sys.exit(str(error))
    table = accuracy_table(samples, predictions)
    errors = [
        {"model": m.model, "path": m.sample.name, "label": m.sample.label, "predicted": m.predicted}
        for m in misses(samples, predictions)
    ]
    if args.json:
        report = {"images": len(samples), "accuracy": table, "rejected": rejected}
        print(json.dumps({**report, "errors": errors} if args.show_errors else report, indent=1))
        return
    print(f"real digits: {len(samples)} images from {args.data}; accuracy in % of images\n")
    print(format_table(samples, table))
    for line in rejected:
        print(f"rejected: {line}")
    if args.counts:
        print("\n".join(miss_counts(samples, predictions)))
    if args.gallery and not args.url:
        from scripts.gallery import write_gallery

        shown = write_gallery(args.gallery, samples, predictions, preprocess_samples(samples)[0])
        print(f"\ngallery: {shown} images in {args.gallery / 'index.html'}")
    if args.show_errors:
        print("\nmisclassified (model, image, label -> predicted):")
        for error in errors:
            print(f"  {error['model']:18} {error['path']:60} {error['label']} -> {error['predicted']}")


if __name__ == "__main__":
    main()
