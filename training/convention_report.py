"""Every digit model, and their ensemble, scored on the convention test set; the report's section on it.

    from training.convention_report import convention_scores
    table = convention_scores(Path("models_store"))   # model -> {"mnist-test": %, "slashed-0": %, ...}

Scores are recomputed from the weights. Beside each convention the same digits as MNIST has
them are scored too ("... as written"), so that a drop is the convention's own. The ensemble
is the mean of every model's probabilities, as the service computes it.
"""

from pathlib import Path
from typing import Any

import torch
from torch import nn

from training.checkpoint import checkpoint_dirs, load_checkpoint, read_card
from training.conventions import CONVENTIONS, PER_CONVENTION, convention_set
from training.mnist import CACHE_DIR, SHARED_MNIST, load_test_set, to_inputs

ENSEMBLE = "ensemble"
AS_WRITTEN = " as written"


def probabilities(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """uint8 (n, 28, 28) -> softmax (n, 10), in float32 as the service runs the models."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(to_inputs(images[i : i + 1000])).softmax(1) for i in range(0, len(images), 1000)])


def convention_scores(store: Path, data_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """model -> {"mnist-test": %, convention: %, convention + " as written": %, ...}; the ensemble last."""
    directories = [d for d in checkpoint_dirs(store) if read_card(d)["task"] == "digits"]
    models = {d.name: load_checkpoint(d)[0] for d in directories}
    test_images, test_labels = load_test_set(data_dir)
    sets = {"mnist-test": (test_images, test_labels)}
    for name, part in convention_set(data_dir).items():
        sets[name] = (part.images, part.labels)
        sets[name + AS_WRITTEN] = (part.originals, part.labels)
    table: dict[str, dict[str, float]] = {name: {} for name in [*models, ENSEMBLE]}
    for set_name, (images, labels) in sets.items():
        probs = {name: probabilities(model, images) for name, model in models.items()}
        probs[ENSEMBLE] = torch.stack(list(probs.values())).mean(0)
        for name, p in probs.items():
            table[name][set_name] = round(100 * (p.argmax(1) == labels).float().mean().item(), 2)
    return table


def spread_cell(card: dict[str, Any]) -> str:
    """The card's test accuracy over seeds as 'mean (min-max, n seeds)', or a dash when not measured."""
    spread = card.get("seed_spread")
    if not spread:
        return "-"
    low, high = 100 * spread["test_min"], 100 * spread["test_max"]
    return f"{100 * spread['test_mean']:.2f} ({low:.2f}-{high:.2f}, {len(spread['seeds'])} seeds)"


def writing_section(store: Path) -> list[str]:
    """REPORT.md's lines on writing conventions and seed spreads, in % of images (none without MNIST at hand)."""
    if not (SHARED_MNIST.is_dir() or CACHE_DIR.is_dir()):
        return []
    table = convention_scores(store)
    cards = {d.name: read_card(d) for d in checkpoint_dirs(store)}
    names = [c for c in CONVENTIONS]
    lines = [
        "## Writing conventions and seeds",
        "",
        f"The convention test set (`training/conventions.py`): {PER_CONVENTION} MNIST test digits per convention,",
        "redrawn in MNIST's form; `python scripts/conventions.py` prints this table. The seed spread is the",
        "test accuracy over training seeds with the committed recipe (`scripts/seed_spread.py`).",
        "",
        "| model | MNIST test | over seeds | " + " | ".join(names) + " |",
        "| --- " * (len(names) + 3) + "|",
    ]
    for model, row in table.items():
        seeds = spread_cell(cards[model]) if model in cards else "-"
        cells = [f"{row['mnist-test']:.2f}", seeds, *(f"{row[c]:.2f}" for c in names)]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    written = ", ".join(f"{c} {table[ENSEMBLE][c + AS_WRITTEN]:.2f}" for c in names)
    lines += ["", f"The same digits as written, ensemble: {written}.", ""]
    return lines
