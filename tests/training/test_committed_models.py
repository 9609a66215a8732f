"""The committed digit checkpoints: the card's claim against a fresh evaluation on real MNIST."""

from dataclasses import asdict
from pathlib import Path

import pytest

from training.checkpoint import load_checkpoint, read_card
from training.convention_report import ENSEMBLE, convention_scores
from training.conventions import CONVENTIONS
from training.evaluate import evaluate_checkpoint
from training.mnist import SHARED_MNIST
from training.zoo import DIGIT_ZOO, MnistRecipe, baseline

STORE = Path(__file__).resolve().parents[2] / "models_store"
# The MNIST test accuracy each committed digit model must keep, well above the notebook's.
MNIST_FLOORS = {
    "mnist-rnn-128": 0.985,
    "mnist-rnn-256": 0.985,
    "mnist-rnn-128x2": 0.988,
    "mnist-lstm-128": 0.992,
    "mnist-gru-128": 0.992,
    "mnist-birnn-128": 0.988,
    "mnist-bilstm-128": 0.994,
}
CONVENTION_FLOOR = 97.0  # % of each writing convention's test images the ensemble must read right


@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_committed_checkpoint_loads_and_matches_its_config(name):
    _, card = load_checkpoint(STORE / name)
    assert card["architecture"] == {**DIGIT_ZOO[name].config.__dict__}
    recipe = {**asdict(MnistRecipe()), **card["training"]["recipe"]}  # a field a card lacks is at its default
    assert recipe == {**asdict(DIGIT_ZOO[name].recipe), "seed": recipe["seed"]}  # the zoo retrains it
    assert {"loss.png", "validation.png", "confusion.png"} <= {p.name for p in (STORE / name).iterdir()}


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"needs MNIST at {SHARED_MNIST}")
@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_card_accuracy_equals_a_fresh_evaluation(name):
    card = read_card(STORE / name)
    fresh = evaluate_checkpoint(STORE / name)
    assert fresh["test_accuracy"] == pytest.approx(card["metrics"]["test_accuracy"], abs=1e-6)
    assert fresh["confusion_matrix"] == card["metrics"]["confusion_matrix"]
    assert fresh["test_accuracy"] > baseline(name)  # the course notebook's figure
    assert fresh["test_accuracy"] >= MNIST_FLOORS[name] - 1e-9


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"needs MNIST at {SHARED_MNIST}")
def test_the_ensemble_reads_every_writing_convention():
    """The committed models' mean, on the convention test set (training.conventions), as the service frames it."""
    scores = convention_scores(STORE)[ENSEMBLE]
    below = {name: scores[name] for name in CONVENTIONS if scores[name] < CONVENTION_FLOOR}
    assert not below, f"the ensemble reads these conventions below {CONVENTION_FLOOR} %: {below}"
