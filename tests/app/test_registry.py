"""load_registry and the zoo's lookups, as plain functions (no HTTP)."""

import shutil

import pytest

from app.registry import UnknownModel, adder_score, best_model, load_registry
from training.checkpoint import CheckpointError, checkpoint_dirs, read_card


def copy_of_one_checkpoint(models_dir, tmp_path):
    source = next(d for d in checkpoint_dirs(models_dir) if read_card(d)["task"] == "digits")
    target = tmp_path / "store" / source.name
    shutil.copytree(source, target)
    return target


def test_load_registry_loads_every_checkpoint_without_history(registry, models_dir):
    assert list(registry.models) == [read_card(d)["name"] for d in checkpoint_dirs(models_dir)]
    for model in registry.models.values():
        assert "history" not in model.card
        assert not model.module.training
        assert not any(p.requires_grad for p in model.module.parameters())


def test_default_digit_model_is_the_best_by_test_accuracy(registry):
    digits = registry.of_task("digits")
    best = max(digits, key=lambda m: m.card["metrics"]["test_accuracy"])
    assert registry.default_digit == best.name
    assert registry.digit_models(None) == [best]


def test_digit_models_picks_one_or_every_model(registry):
    digits = registry.of_task("digits")
    assert registry.digit_models("all") == registry.digit_models("ensemble") == digits
    assert registry.digit_models(digits[-1].name) == [digits[-1]]
    with pytest.raises(UnknownModel, match="mnist-cnn"):
        registry.digit_models("mnist-cnn")


def test_adder_score_ranks_exact_sums_then_long_sums_then_bits():
    def card(exact, long_random, long_adversarial, bits):
        long = {"random_exact": [1.0, long_random], "adversarial_exact": [1.0, long_adversarial]}
        return {"metrics": {"exact_accuracy": exact, "bit_accuracy": bits, "long": long}}

    assert adder_score(card(1.0, 0.0, 0.0, 0.9)) > adder_score(card(0.99, 1.0, 1.0, 1.0))
    assert adder_score(card(1.0, 1.0, 0.0, 1.0)) > adder_score(card(1.0, 0.9, 1.0, 1.0))
    assert adder_score({"metrics": {}}) == (0.0, 0.0, 0.0, 0.0)


def test_best_model_is_none_without_models_of_the_task(registry):
    only_digits = {m.name: m for m in registry.of_task("digits")}
    assert best_model(only_digits, "adder", adder_score) is None


def test_load_registry_rejects_tampered_weights(models_dir, tmp_path):
    checkpoint = copy_of_one_checkpoint(models_dir, tmp_path)
    weights = checkpoint / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the last weight
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_registry(checkpoint.parent)


def test_load_registry_rejects_missing_weights(models_dir, tmp_path):
    checkpoint = copy_of_one_checkpoint(models_dir, tmp_path)
    (checkpoint / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing weights"):
        load_registry(checkpoint.parent)


def test_load_registry_rejects_an_empty_store(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoints"):
        load_registry(tmp_path)


def test_load_registry_rejects_an_unknown_default(models_dir):
    with pytest.raises(CheckpointError, match="mnist-cnn"):
        load_registry(models_dir, default_digit="mnist-cnn")


def test_load_registry_rejects_a_fake_plot(models_dir, tmp_path):
    checkpoint = copy_of_one_checkpoint(models_dir, tmp_path)
    (checkpoint / "loss.png").write_bytes(b"GIF89a, not a PNG")
    with pytest.raises(CheckpointError, match="not a PNG"):
        load_registry(checkpoint.parent)


def test_a_store_without_digit_models_answers_unknown_model(models_dir, tmp_path, adder_checkpoints):
    adder = next(d for d in checkpoint_dirs(models_dir) if read_card(d)["task"] == "adder")
    shutil.copytree(adder, tmp_path / "store" / adder.name)
    registry = load_registry(tmp_path / "store")
    assert registry.default_digit is None
    for choice in (None, "all", "ensemble"):
        with pytest.raises(UnknownModel, match="no digits model is loaded"):
            registry.digit_models(choice)
