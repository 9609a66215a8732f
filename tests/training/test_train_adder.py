"""training.train_adder: dry runs of every adder, checkpoint round trips, and the committed adders' cards."""

import json
from pathlib import Path

import pytest
import torch

from training.checkpoint import load_checkpoint
from training.metrics import adder_metrics
from training.model import BinaryAdder
from training.train_adder import draw_batch, loss_of, main
from training.zoo import ADDER_ZOO

pytestmark = pytest.mark.usefixtures("one_thread")

STORE = Path(__file__).resolve().parents[2] / "models_store"
LONG_INPUT_ADDERS = ("adder-lstm-3", "adder-lstm-10", "adder-lstm-5-mse", "adder-lstm-5-bce")


@pytest.fixture(scope="module")
def dry_run_cards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("zoo")
    return out, main(list(ADDER_ZOO), out, seed=None, epochs=None, dry_run=True)


def test_dry_run_trains_every_adder(dry_run_cards: tuple[Path, list[dict]]) -> None:
    out, cards = dry_run_cards
    assert [card["name"] for card in cards] == list(ADDER_ZOO)
    for card in cards:
        assert (out / card["name"] / "model.safetensors").is_file()
        assert card["task"] == "adder"
        assert len(card["history"]["train_loss"]) == card["training"]["epochs"] * 3  # DRY_RUN: 3 steps an epoch
        assert len(card["history"]["val_loss"]) == len(card["history"]["val_accuracy"]) == card["training"]["epochs"]
        assert card["metrics"]["by_length"]["lengths"] == list(range(1, 21))
        assert card["metrics"]["long"]["lengths"] == [100, 1000, 10000]


def test_checkpoint_round_trip_keeps_weights_and_metrics(dry_run_cards: tuple[Path, list[dict]]) -> None:
    out, cards = dry_run_cards
    card = cards[0]
    model, loaded = load_checkpoint(out / card["name"])
    assert isinstance(model, BinaryAdder)
    assert loaded == json.loads(json.dumps(card))
    assert adder_metrics(model) == card["metrics"]


def test_recipes_stay_in_their_length_regime() -> None:
    assert set(ADDER_ZOO) == set(ADDER_ZOO)
    for name in ("adder-lstm-3", "adder-lstm-10", "adder-lstm-5-mse", "adder-lstm-5-bce"):
        assert ADDER_ZOO[name].recipe.lengths == tuple(range(1, 21))
    for length in (3, 5, 10):
        assert ADDER_ZOO[f"adder-lstm-5-len{length}"].recipe.lengths == (length,)
    assert {r.loss for n, r in ((n, e.recipe) for n, e in ADDER_ZOO.items()) if n != "adder-lstm-5-bce"} == {"mse"}
    assert ADDER_ZOO["adder-lstm-5-bce"].recipe.loss == "bce"


def test_losses_are_mse_on_probabilities_and_bce_on_logits() -> None:
    _, targets = draw_batch(6, 8, 0.5, torch.Generator().manual_seed(0))
    logits = torch.randn(targets.shape, generator=torch.Generator().manual_seed(1))
    p = torch.sigmoid(logits)
    assert torch.allclose(loss_of(logits, targets, "mse"), ((p - targets) ** 2).mean())
    bce = -(targets * p.log() + (1 - targets) * (1 - p).log()).mean()
    assert torch.allclose(loss_of(logits, targets, "bce"), bce, atol=1e-6)
    with pytest.raises(ValueError, match="unknown loss"):
        loss_of(logits, targets, "cross-entropy")


@pytest.mark.parametrize("name", list(ADDER_ZOO))
def test_committed_card_matches_a_fresh_evaluation(name: str) -> None:
    model, card = load_checkpoint(STORE / name)
    assert card["training"]["recipe"]["lengths"] == list(ADDER_ZOO[name].recipe.lengths)
    assert adder_metrics(model) == card["metrics"]


@pytest.mark.parametrize("name", LONG_INPUT_ADDERS)
def test_committed_adder_is_exact_from_1_to_10000_bits(name: str) -> None:
    metrics = json.loads((STORE / name / "card.json").read_text())["metrics"]
    assert metrics["bit_accuracy"] == metrics["exact_accuracy"] == 1.0
    assert metrics["long"]["random_exact"] == metrics["long"]["adversarial_exact"] == [1.0, 1.0, 1.0]
