"""The convention scores and the report's section on them, from the committed checkpoints' weights."""

from pathlib import Path

import pytest

from training.convention_report import ENSEMBLE, convention_scores, spread_cell, writing_section
from training.conventions import CONVENTIONS
from training.mnist import SHARED_MNIST

STORE = Path(__file__).resolve().parents[2] / "models_store"
MODEL = "mnist-rnn-128"


def test_spread_cell_reads_the_cards_spread():
    spread = {"seeds": [0, 1, 2], "test_mean": 0.98567, "test_min": 0.985, "test_max": 0.9862}
    assert spread_cell({"seed_spread": spread}) == "98.57 (98.50-98.62, 3 seeds)"
    assert spread_cell({}) == "-"


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"needs MNIST at {SHARED_MNIST}")
def test_a_model_and_the_ensemble_are_scored_on_every_convention(tmp_path):
    (tmp_path / MODEL).symlink_to(STORE / MODEL)  # one model, the quickest to run: a store of its own
    table = convention_scores(tmp_path)
    assert list(table) == [MODEL, ENSEMBLE] and table[MODEL] == table[ENSEMBLE]
    for row in table.values():
        assert set(CONVENTIONS) <= set(row) and 98.0 < row["mnist-test"] <= 100.0
        assert all(row[name + " as written"] > 95.0 for name in CONVENTIONS)  # MNIST's own test digits
    lines = writing_section(tmp_path)
    assert sum(line.startswith(f"| {name} |") for line in lines for name in table) == len(table)
