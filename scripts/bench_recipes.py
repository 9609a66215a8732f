"""A digit model's training time under its recipe as it was and as changed, measured side by side.

    python scripts/bench_recipes.py --model mnist-rnn-128 --change '{"distill": 0.5}'
    python scripts/bench_recipes.py --model mnist-lstm-128 --change '{"conventions": 1.0}' --rounds 5
    python scripts/bench_recipes.py --model all --was '{"conventions": 0.0, "flags": {}}' \\
        --was-by-model '{"mnist-lstm-128": {"epochs": 12}}'    # the zoo's recipes against those

With --change, "as was" is the zoo's recipe with the changed fields at their defaults; without it,
"changed" is the zoo's recipe and "as was" the same with the --was fields, and over them each
model's own from --was-by-model.

Each round trains one epoch of the recipe as it was, then one of the changed recipe, on fresh models; rounds
alternate, so the machine's noise hits both. A distilled recipe also pays once for its
teachers' soft targets (training.distill), timed here on its own. Printed: the median
epochs, and the whole training's time under each recipe (epochs x median epoch, plus the
teachers), in wall and CPU time: on a machine shared with other work the CPU time is the fairer.
"""

import argparse
import json
import statistics
import time
from dataclasses import fields, replace
from typing import Any

import torch
from tqdm import tqdm

from training.distill import STORE, teacher_probabilities
from training.mnist import Flags, Mnist, load_mnist
from training.model import build_model
from training.train_mnist import train_one_epoch
from training.zoo import DIGIT_ZOO, MnistRecipe

Seconds = tuple[float, float]  # (wall, CPU)


def clock() -> Seconds:
    return time.perf_counter(), time.process_time()


def since(start: Seconds) -> Seconds:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def epoch_seconds(name: str, data: Mnist, recipe: MnistRecipe, teacher: torch.Tensor | None) -> Seconds:
    model = build_model("digits", DIGIT_ZOO[name].config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    start = clock()
    with tqdm(total=len(data.train_images), disable=True) as progress:
        generator = torch.Generator().manual_seed(0)
        train_one_epoch(model, data, optimizer, schedule, recipe, generator, progress, teacher)
    return since(start)


def time_model(name: str, data: Mnist, recipes: dict[str, MnistRecipe], rounds: int) -> dict[str, Seconds]:
    """The whole training's time under each recipe, (wall, CPU): epochs x the median epoch, plus teachers."""
    teachers = {key: (None, (0.0, 0.0)) for key in recipes}
    for key, recipe in recipes.items():
        if recipe.distill:
            start = clock()
            probabilities, _ = teacher_probabilities(STORE, data.train_images, exclude=name)
            teachers[key] = (probabilities, since(start))
    times: dict[str, list[Seconds]] = {key: [] for key in recipes}
    for round_ in range(1, rounds + 1):
        for key, recipe in recipes.items():
            times[key].append(epoch_seconds(name, data, recipe, teachers[key][0]))
        cells = ", ".join(f"{key} {t[-1][0]:.2f} s ({t[-1][1]:.2f} s CPU)" for key, t in times.items())
        print(f"{name} round {round_}: {cells}")
    totals = {}
    for key, recipe in recipes.items():
        wall, cpu = (statistics.median(t[index] for t in times[key]) for index in (0, 1))
        totals[key] = (recipe.epochs * wall + teachers[key][1][0], recipe.epochs * cpu + teachers[key][1][1])
        print(
            f"  {key}: {recipe.epochs} epochs of {wall:.2f} s ({cpu:.2f} s CPU), teachers {teachers[key][1][0]:.1f} s: "
            f"{totals[key][0]:.0f} s ({totals[key][1]:.0f} s CPU)"
        )
    return totals


def recipe_fields(given: dict[str, Any]) -> dict[str, Any]:
    """Recipe fields read from JSON, where "flags" is an object of Flags' fields ({} for FIRST_FLAGS)."""
    return {**given, "flags": Flags(**given["flags"])} if "flags" in given else given


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mnist-rnn-128", choices=["all", *DIGIT_ZOO])
    parser.add_argument("--change", default=None, help="the changed recipe fields, as JSON (default: the zoo's recipe)")
    parser.add_argument("--was", default='{"conventions": 0.0}', help="with no --change: the fields as they were")
    parser.add_argument(
        "--was-by-model",
        default="{}",
        help='with no --change: a model\'s own fields as they were, {"name": {"epochs": 12}}',
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = list(DIGIT_ZOO) if args.model == "all" else [args.model]
    data = load_mnist()
    totals: dict[str, Seconds] = {"as was": (0.0, 0.0), "changed": (0.0, 0.0)}
    for name in names:
        recipe = DIGIT_ZOO[name].recipe
        if args.change is not None:
            change = recipe_fields(json.loads(args.change))
            defaults = {f.name: f.default for f in fields(MnistRecipe) if f.name in change}
            recipes = {"as was": replace(recipe, **defaults), "changed": replace(recipe, **change)}
        else:
            by_model = json.loads(args.was_by_model).get(name, {})
            was = {**recipe_fields(json.loads(args.was)), **recipe_fields(by_model)}
            recipes = {"as was": replace(recipe, **was), "changed": recipe}
        for key, (wall, cpu) in time_model(name, data, recipes, args.rounds).items():
            totals[key] = (totals[key][0] + wall, totals[key][1] + cpu)
    print(f"{', '.join(names)}: {torch.get_num_threads()} thread(s), {args.rounds} rounds")
    for kind, index in (("wall", 0), ("CPU", 1)):
        before, after = totals["as was"][index], totals["changed"][index]
        print(f"  {kind}: as was {before:.0f} s, changed {after:.0f} s, ratio {after / before:.3f}")


if __name__ == "__main__":
    main()
