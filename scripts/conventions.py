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

from training.convention_report import ENSEMBLE, convention_scores

REPO = Path(__file__).resolve().parents[1]


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
    if not any(args.models_dir.glob("mnist-*/card.json")):
        sys.exit(f"no digit checkpoints in {args.models_dir}")
    table = convention_scores(args.models_dir)
    print(json.dumps(table, indent=1) if args.json else format_table(table))


if __name__ == "__main__":
    main()
