"""Real handwritten digits (../shared/real-digits) as users upload them: the manifest, the misses,
and the report's section on them.

    from training.real_digits import read_manifest, real_digit_section
    samples = read_manifest(REAL_DIGITS)      # [Sample(name, path, label, source), ...]
    lines = real_digit_section(Path("models_store"))   # REPORT.md's lines; [] without the images

The images are scans, phone photos and canvas drawings; manifest.csv gives each one's label and the
repository it was published in, whose owner is its source. Each goes through the service's own
preprocessing and models (app.preprocess, app.registry, app.predict), as an upload would; an image
it refuses counts as a miss. The images never enter this repository: the report carries counts,
not pictures.
"""

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.checkpoint import CheckpointError

REAL_DIGITS = Path(__file__).resolve().parents[1].parent / "shared" / "real-digits"
ENSEMBLE = "ensemble"
Predictions = dict[str, list[int | None]]  # model -> the digit read from each sample (None: refused)


@dataclass(frozen=True)
class Sample:
    name: str  # the path in the manifest, e.g. "anzemur__Digit-recognition/0_1.jpeg"
    path: Path
    label: int
    source: str  # the publishing repository's owner, e.g. "anzemur"


@dataclass(frozen=True)
class Miss:
    model: str
    sample: Sample
    predicted: int | None  # None: the image was refused


def read_manifest(data_dir: Path) -> list[Sample]:
    with open(data_dir / "manifest.csv", newline="") as manifest:
        return [
            Sample(row["path"], data_dir / row["path"], int(row["label"]), row["source_repo"].split("/")[0])
            for row in csv.DictReader(manifest)
        ]


def preprocess_samples(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every sample through app.preprocess: (n, 28, 28) float32 inputs (zeros where refused),
    (n,) whether each was accepted, and a line for each refusal."""
    from app.preprocess import ImageRejected, preprocess
    from app.settings import Settings

    max_pixels = Settings().max_pixels  # the service's limit (RNNLAB_MAX_PIXELS)
    pixels = np.zeros((len(samples), 28, 28), dtype=np.float32)
    accepted, rejected = np.ones(len(samples), dtype=bool), []
    for i, sample in enumerate(samples):
        try:
            pixels[i] = preprocess(sample.path.read_bytes(), max_pixels)
        except ImageRejected as error:
            accepted[i] = False
            rejected.append(f"{sample.name}: {error.status_code} {error.detail}")
    return pixels, accepted, rejected


def misses(samples: list[Sample], predictions: Predictions) -> Iterable[Miss]:
    for name, predicted in predictions.items():
        for sample, digit in zip(samples, predicted, strict=True):
            if digit != sample.label:
                yield Miss(name, sample, digit)


def miss_counts(samples: list[Sample], predictions: Predictions) -> list[str]:
    """Markdown lines: each model's misses by source, then by class (the digit it should have read)."""
    found = list(misses(samples, predictions))
    lines = []
    for title, key_of in (("source", lambda s: s.source), ("class", lambda s: s.label)):
        images = Counter(key_of(s) for s in samples)
        keys = sorted(images) if title == "class" else list(images)
        lines += ["", f"Misses by {title} (images in brackets):", ""]
        lines += ["| model | " + " | ".join(f"{key} ({images[key]})" for key in keys) + " | all |"]
        lines += ["| --- " * (len(keys) + 2) + "|"]
        for name in predictions:
            counted = Counter(key_of(m.sample) for m in found if m.model == name)
            lines += [f"| {name} | " + " | ".join(str(counted[key]) for key in keys) + f" | {counted.total()} |"]
    return lines


def predict(samples: list[Sample], store: Path) -> tuple[Predictions, list[str]]:
    """Every digit checkpoint in the store, and their ensemble, on every sample, as the service answers
    them (app.registry, app.predict); and a line for each sample the preprocessing refused."""
    from app.predict import classify_batch
    from app.registry import load_registry

    models = load_registry(store).digit_models("all")  # CheckpointError without any checkpoint
    if not models:
        raise CheckpointError(f"no digit checkpoints in {store}")
    pixels, accepted, rejected = preprocess_samples(samples)
    names = [*(model.name for model in models), ENSEMBLE]
    predictions: Predictions = {name: [] for name in names}
    for answer, ok in zip(classify_batch(models, pixels), accepted, strict=True):
        for name, prediction in zip(names, [*answer.results, answer.ensemble], strict=True):
            predictions[name].append(prediction.digit if ok else None)
    return predictions, rejected


def real_digit_section(store: Path, data_dir: Path = REAL_DIGITS) -> list[str]:
    """REPORT.md's lines on the real digits: right of all, then misses by source and class."""
    if not (data_dir / "manifest.csv").is_file():
        return []
    samples = read_manifest(data_dir)
    predictions, _ = predict(samples, store)  # a refused image counts as a miss
    right = {name: sum(p == s.label for p, s in zip(got, samples, strict=True)) for name, got in predictions.items()}
    return [
        "## Real digits",
        "",
        f"{len(samples)} real handwritten digits from `../shared/real-digits` (scans, phone photos and drawings),",
        "through the service's preprocessing; `python scripts/real_digits.py --counts` prints the same, and",
        "`--gallery DIR` shows every miss.",
        "",
        "| model | right |",
        "| --- | --- |",
        *(f"| {name} | {count} of {len(samples)} |" for name, count in right.items()),
        *miss_counts(samples, predictions),
        "",
    ]
