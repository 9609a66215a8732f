"""A digit model's spread over training seeds: test accuracy recomputed from each seed's weights.

    python -m training --threads 1 mnist --model mnist-rnn-128 --seed 1 --out /tmp/seeds/1    # one store a seed
    python scripts/seed_spread.py mnist-rnn-128 models_store /tmp/seeds/1 /tmp/seeds/2
    python scripts/seed_spread.py mnist-rnn-128 models_store /tmp/seeds/1 /tmp/seeds/2 --write models_store

Each store holds the model trained with one seed and otherwise the same recipe (checked on
the cards). Prints every seed's validation and test accuracy and the test accuracy's mean,
minimum and maximum; with --write, records them in that store's card as "seed_spread".
"""

import argparse
import json
import statistics
import sys
from dataclasses import asdict
from pathlib import Path

from training.checkpoint import CARD_FILE, read_card
from training.evaluate import evaluate_checkpoint
from training.zoo import MnistRecipe


def spread(name: str, stores: list[Path]) -> dict[str, object]:
    cards = [read_card(store / name) for store in stores]
    defaults = asdict(MnistRecipe())  # a field a card lacks was added later, at its default
    recipes = [{**defaults, **card["training"]["recipe"], "seed": None} for card in cards]
    if any(recipe != recipes[0] for recipe in recipes):
        sys.exit(f"the stores hold {name} trained with different recipes: {recipes}")
    seeds = [card["training"]["seed"] for card in cards]
    if len(set(seeds)) != len(seeds):
        sys.exit(f"the same seed twice: {seeds}")
    tests = [evaluate_checkpoint(store / name)["test_accuracy"] for store in stores]
    return {
        "seeds": seeds,
        "val_accuracy": [card["metrics"]["val_accuracy"] for card in cards],
        "test_accuracy": tests,
        "test_mean": round(statistics.mean(tests), 6),
        "test_min": min(tests),
        "test_max": max(tests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("stores", type=Path, nargs="+", help="model stores, one seed each")
    parser.add_argument("--write", type=Path, help="record the spread in this store's card of the model")
    args = parser.parse_args()
    result = spread(args.name, args.stores)
    print(json.dumps(result, indent=1))
    if args.write:
        path = args.write / args.name / CARD_FILE
        card = json.loads(path.read_text())
        card["seed_spread"] = result
        path.write_text(json.dumps(card, indent=1) + "\n")
        print(f"wrote the spread into {path}")


if __name__ == "__main__":
    main()
