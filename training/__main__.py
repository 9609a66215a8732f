"""rnnlab's training command line.

python -m training mnist --model all                 # the seven digit models -> models_store/
python -m training adder --model all                 # the seven adders
python -m training evaluate mnist-lstm-128 --json    # recompute a checkpoint's test metrics
python -m training report                            # models_store/REPORT.md and comparison plots
python -m training mnist --model all --dry-run --out /tmp/zoo   # a few steps on tiny data
"""

import argparse
import json
import os
import sys
from pathlib import Path

import torch

from training import train_adder, train_mnist
from training.evaluate import evaluate_checkpoint, format_metrics
from training.plots import plot_checkpoint
from training.report import write_report
from training.zoo import ADDER_ZOO, DIGIT_ZOO

DEFAULT_STORE = Path("models_store")


def model_names(choice: str, zoo: dict[str, object]) -> list[str]:
    """'all', or one or more comma-separated names from the zoo."""
    names = list(zoo) if choice == "all" else choice.split(",")
    unknown = [name for name in names if name not in zoo]
    if unknown:
        raise SystemExit(f"unknown model {unknown[0]!r}; choose 'all' or names from: {', '.join(zoo)}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    commands = parser.add_subparsers(dest="command", required=True)

    for task, zoo in (("mnist", DIGIT_ZOO), ("adder", ADDER_ZOO)):
        sub = commands.add_parser(task, help=f"train {task} models")
        sub.add_argument("--model", default="all", help=f"'all', or comma-separated names from: {', '.join(zoo)}")
        sub.add_argument("--out", type=Path, default=DEFAULT_STORE, help="model store to write into")
        sub.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
        sub.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
        sub.add_argument("--dry-run", action="store_true", help="a few steps on tiny data, for tests")
        if task == "mnist":
            sub.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="models trained at once")
            sub.add_argument("--data-dir", type=Path, default=None, help="MNIST IDX files (default ../shared/mnist)")

    evaluate = commands.add_parser("evaluate", help="recompute a checkpoint's metrics from its weights")
    evaluate.add_argument("name")
    evaluate.add_argument("--store", type=Path, default=DEFAULT_STORE)
    evaluate.add_argument("--data-dir", type=Path, default=None)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    report = commands.add_parser("report", help="write REPORT.md and comparison plots from the cards")
    report.add_argument("--store", type=Path, default=DEFAULT_STORE)
    report.add_argument("--data-dir", type=Path, default=None, help="MNIST IDX files, for the row-by-row figures")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.command == "mnist":
        overrides = {k: v for k, v in (("seed", args.seed), ("epochs", args.epochs)) if v is not None}
        for card in train_mnist.main(
            model_names(args.model, DIGIT_ZOO), args.out, overrides, args.data_dir, args.dry_run, args.jobs
        ):
            plot_checkpoint(card, args.out / card["name"])
    elif args.command == "adder":
        for card in train_adder.main(
            model_names(args.model, ADDER_ZOO), args.out, args.seed, args.epochs, args.dry_run
        ):
            plot_checkpoint(card, args.out / card["name"])
    elif args.command == "evaluate":
        metrics = evaluate_checkpoint(args.store / args.name, args.data_dir)
        print(json.dumps(metrics) if args.json else format_metrics(args.name, metrics))
    elif args.command == "report":
        print(f"wrote {write_report(args.store, args.data_dir)}")


if __name__ == "__main__":
    sys.exit(main())
