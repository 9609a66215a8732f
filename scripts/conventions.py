"""Accuracy of every digit model, and of their ensemble, on each writing convention of the convention test set.

    python scripts/conventions.py                          # models_store/
    python scripts/conventions.py --models-dir /tmp/exp --json

The set (training.conventions) is MNIST test digits with slashed zeros, crossed sevens, serifs
on 1s, open and closed 4s and two kinds of 9 tail drawn on. Beside each convention the same
digits as MNIST has them are scored too ("as written"), so a drop is the convention's own.
The ensemble is the mean of every model's probabilities, as the service computes it.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

from training.checkpoint import checkpoint_dirs, load_checkpoint, read_card
from training.conventions import convention_set
from training.mnist import load_test_set, to_inputs

REPO = Path(__file__).resolve().parents[1]
ENSEMBLE = "ensemble"


def probabilities(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """uint8 (n, 28, 28) -> softmax (n, 10)."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(to_inputs(images[i : i + 1000])).softmax(1) for i in range(0, len(images), 1000)])


def scores(models_dir: Path) -> dict[str, dict[str, float]]:
    """model -> {"mnist-test": %, convention: %, convention + " as written": %, ...}, with the ensemble last."""
    dirs = [d for d in checkpoint_dirs(models_dir) if read_card(d)["task"] == "digits"]
    if not dirs:
        sys.exit(f"no digit checkpoints in {models_dir}")
    models = {d.name: load_checkpoint(d)[0] for d in dirs}
    test_images, test_labels = load_test_set()
    sets = {"mnist-test": (test_images, test_labels)}
    for name, part in convention_set().items():
        sets[name] = (part.images, part.labels)
        sets[f"{name} as written"] = (part.originals, part.labels)
    table: dict[str, dict[str, float]] = {name: {} for name in [*models, ENSEMBLE]}
    for set_name, (images, labels) in sets.items():
        probs = {name: probabilities(model, images) for name, model in models.items()}
        probs[ENSEMBLE] = torch.stack(list(probs.values())).mean(0)
        for name, p in probs.items():
            table[name][set_name] = round(100 * (p.argmax(1) == labels).float().mean().item(), 2)
    return table


def format_table(table: dict[str, dict[str, float]]) -> str:
    columns = [c for c in next(iter(table.values())) if not c.endswith("as written")]
    width = max(len(name) for name in table)
    lines = [" ".join(["".ljust(width), *(c.rjust(max(len(c), 6)) for c in columns)])]
    for name, row in table.items():
        lines.append(" ".join([name.ljust(width), *(f"{row[c]:.2f}".rjust(max(len(c), 6)) for c in columns)]))
    written = [c for c in next(iter(table.values())) if c.endswith("as written")]
    as_written = ", ".join(f"{c}: {table[ENSEMBLE][c]:.2f}" for c in written)
    lines.append(f"\nthe same digits as written, ensemble: {as_written}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models_store")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = scores(args.models_dir)
    print(json.dumps(table, indent=1) if args.json else format_table(table))


if __name__ == "__main__":
    main()
