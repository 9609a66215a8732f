"""The real digits' error gallery (scripts/gallery.py) and miss counts (training.real_digits), on three drawn images."""

from pathlib import Path

import numpy as np

from scripts.gallery import write_gallery
from tests.app.preprocess.drawn import draw_four
from training.real_digits import Sample, miss_counts


def samples(folder: Path) -> list[Sample]:
    made = []
    for i, source in enumerate(["alice", "alice", "bob"]):
        path = folder / f"{i}.png"
        draw_four().save(path)
        made.append(Sample(f"{source}/{i}.png", path, 4, source))
    return made


PREDICTIONS: dict[str, list[int | None]] = {"rnn": [4, 9, None], "lstm": [4, 4, 4], "ensemble": [4, 9, 4]}


def test_the_gallery_shows_each_miss_with_what_the_models_saw(tmp_path: Path) -> None:
    found = samples(tmp_path)
    shown = write_gallery(tmp_path / "gallery", found, PREDICTIONS, np.zeros((3, 28, 28), np.float32))
    page = (tmp_path / "gallery" / "index.html").read_text()
    assert shown == 2 and "2 of 3 images" in page  # the first image, right everywhere, is not shown
    assert "alice/1.png" in page and "bob/2.png" in page and "alice/0.png" not in page
    assert page.count('class="wrong"') == 3 and "refused" in page
    for name in ("001-original.png", "001-input.png", "002-original.png", "002-input.png"):
        assert (tmp_path / "gallery" / "images" / name).is_file()


def test_miss_counts_are_by_source_and_by_class(tmp_path: Path) -> None:
    table = miss_counts(samples(tmp_path), PREDICTIONS)
    assert "| model | alice (2) | bob (1) | all |" in table
    assert "| rnn | 1 | 1 | 2 |" in table and "| lstm | 0 | 0 | 0 |" in table
    assert "| model | 4 (3) | all |" in table and "| rnn | 2 | 2 |" in table  # the classes the set holds
