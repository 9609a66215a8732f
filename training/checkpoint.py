"""Checkpoints: weights as safetensors plus a JSON card. No pickle, ever.

    from training.checkpoint import load_checkpoint
    model, card = load_checkpoint("models_store/mnist-lstm-128")   # rebuilt, hash-verified, eval mode

A checkpoint directory holds `model.safetensors` and `card.json`. The card holds the
architecture (the model's constructor arguments), the training recipe, metrics, history
and the SHA-256 of the weights file; loading rebuilds the model from the card alone.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from training.model import architecture_of, build_model, parameter_count

WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "card.json"


class CheckpointError(Exception):
    """A checkpoint is missing, malformed, or its weights do not match its card."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_checkpoint(model: nn.Module, card: dict[str, Any], directory: str | Path) -> dict[str, Any]:
    """Write the weights and the card (with architecture, parameters and sha256 filled in)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS_FILE
    save_file({k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}, weights)
    weights.chmod(0o644)  # safetensors writes 0600; a server running as another user must read it
    card = {
        **card,
        "architecture": architecture_of(model),
        "parameters": parameter_count(model),
        "sha256": sha256_of(weights),
    }
    (directory / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
    return card


def read_card(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / CARD_FILE
    try:
        card: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CheckpointError(f"cannot read card {path}: {error}") from error
    for key in ("name", "task", "architecture", "sha256"):
        if key not in card:
            raise CheckpointError(f"card {path} lacks {key!r}")
    return card


def load_checkpoint(directory: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model from its card, verify the weights' hash, load them; eval mode, no grad."""
    directory = Path(directory)
    card = read_card(directory)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"missing weights file {weights}")
    actual = sha256_of(weights)
    if actual != card["sha256"]:
        raise CheckpointError(
            f"{weights} has sha256 {actual[:12]}…, but its card says {card['sha256'][:12]}…: "
            "the weights were changed or the card belongs to another checkpoint"
        )
    try:
        model = build_model(card["task"], card["architecture"])
        model.load_state_dict(load_file(weights), strict=True)
    except (TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{directory}: weights do not fit the card's architecture: {error}") from error
    model.eval().requires_grad_(False)
    return model, card


def checkpoint_dirs(store: str | Path) -> list[Path]:
    """Every checkpoint directory in a model store, sorted by name."""
    return sorted(p.parent for p in Path(store).glob(f"*/{CARD_FILE}"))
