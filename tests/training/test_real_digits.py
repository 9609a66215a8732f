"""training.real_digits: the report's real-digit section agrees with the service's own answers."""

import csv
from pathlib import Path

from tests.app.preprocess.drawn import draw_four
from training.real_digits import predict, read_manifest, real_digit_section

STORE = Path(__file__).resolve().parents[2] / "models_store"


def manifest(folder: Path) -> Path:
    """Three drawn 4s from two sources, as ../shared/real-digits lays them out."""
    rows = []
    for i, (source, size) in enumerate([("alice", (60, 80)), ("alice", (200, 160)), ("bob", (28, 28))]):
        (folder / source).mkdir(exist_ok=True)
        draw_four(size=size).save(folder / source / f"4_{i}.png")
        rows.append({"path": f"{source}/4_{i}.png", "label": 4, "source_repo": f"{source}/digits"})
    with open(folder / "manifest.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["path", "label", "source_repo"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_every_model_and_the_ensemble_read_each_image(tmp_path: Path) -> None:
    samples = read_manifest(manifest(tmp_path))
    assert [s.source for s in samples] == ["alice", "alice", "bob"]
    predictions, rejected = predict(samples, STORE)
    assert not rejected and len(predictions) == 8 and predictions["ensemble"] == [4, 4, 4]


def test_the_section_counts_each_model_and_the_ensemble(tmp_path: Path) -> None:
    lines = real_digit_section(STORE, manifest(tmp_path))
    rows = [line for line in lines if line.startswith("| mnist-") or line.startswith("| ensemble")]
    assert len(rows) == 3 * 8  # right of all, misses by source, misses by class: 7 models and the ensemble
    assert "| model | alice (2) | bob (1) | all |" in lines and "| model | 4 (3) | all |" in lines


def test_no_section_without_the_images(tmp_path: Path) -> None:
    assert real_digit_section(STORE, tmp_path) == []
