import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.checkpoint import load_checkpoint
from training.train_mnist import main
from training.zoo import DIGIT_ZOO

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_dry_run_trains_and_saves_every_model(tmp_path, name):
    (card,) = main([name], tmp_path, {}, data_dir=None, dry_run=True)
    _, loaded_card = load_checkpoint(tmp_path / name)
    assert loaded_card == card
    assert card["task"] == "digits" and len(card["history"]["train_loss"]) == 4  # 256 images / batch 64
    assert 0.0 <= card["metrics"]["test_accuracy"] <= 1.0
    assert len(card["metrics"]["confusion_matrix"]) == 10


def test_dry_run_is_deterministic(tmp_path):
    first = main(["mnist-rnn-128"], tmp_path / "a", {}, None, dry_run=True)[0]
    second = main(["mnist-rnn-128"], tmp_path / "b", {}, None, dry_run=True)[0]
    assert first["sha256"] == second["sha256"]


def test_cli_dry_run_writes_checkpoint_and_plots(tmp_path):
    command = [sys.executable, "-m", "training", "mnist", "--model", "mnist-gru-128", "--dry-run", "--out"]
    command.append(str(tmp_path))
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    written = {p.name for p in (tmp_path / "mnist-gru-128").iterdir()}
    assert {"model.safetensors", "card.json", "loss.png", "validation.png", "confusion.png"} <= written


def test_cli_rejects_an_unknown_model(tmp_path):
    command = [sys.executable, "-m", "training", "mnist", "--model", "mnist-tcn", "--dry-run", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "unknown model 'mnist-tcn'" in result.stderr


def test_cli_evaluate_json_recomputes_a_dry_run_checkpoint(tmp_path, fake_mnist_dir):
    main(["mnist-rnn-128"], tmp_path, {}, None, dry_run=True)
    command = [
        sys.executable,
        "-m",
        "training",
        "evaluate",
        "mnist-rnn-128",
        "--store",
        str(tmp_path),
        "--data-dir",
        str(fake_mnist_dir),
        "--json",
    ]
    metrics = json.loads(subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    assert metrics["test_examples"] == 30 and 0.0 <= metrics["test_accuracy"] <= 1.0
