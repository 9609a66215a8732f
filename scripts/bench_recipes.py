"""A digit model's training time under its recipe as it was and as changed, measured side by side.

    python scripts/bench_recipes.py --model mnist-rnn-128 --change '{"distill": 0.5}'
    python scripts/bench_recipes.py --model mnist-lstm-128 --change '{"conventions": 1.0}' --rounds 5

Each round trains one epoch of the recipe as it was (training.zoo.DIGIT_ZOO, with the
changed fields at their defaults), then one of the changed recipe, on fresh models; rounds
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

import torch
from tqdm import tqdm

from training.distill import STORE, teacher_probabilities
from training.mnist import Mnist, load_mnist
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mnist-rnn-128", choices=list(DIGIT_ZOO))
    parser.add_argument("--change", default='{"conventions": 1.0}', help="the changed recipe fields, as JSON")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    change = json.loads(args.change)
    defaults = {f.name: f.default for f in fields(MnistRecipe) if f.name in change}
    recipes = {
        "as was": replace(DIGIT_ZOO[args.model].recipe, **defaults),
        "changed": replace(DIGIT_ZOO[args.model].recipe, **change),
    }
    data = load_mnist()
    teachers = {key: (None, (0.0, 0.0)) for key in recipes}
    for key, recipe in recipes.items():
        if recipe.distill:
            start = clock()
            probabilities, _ = teacher_probabilities(STORE, data.train_images, exclude=args.model)
            teachers[key] = (probabilities, since(start))
    times: dict[str, list[Seconds]] = {key: [] for key in recipes}
    for round_ in range(1, args.rounds + 1):
        for key, recipe in recipes.items():
            times[key].append(epoch_seconds(args.model, data, recipe, teachers[key][0]))
        print(f"round {round_}: " + ", ".join(f"{k} {t[-1][0]:.2f} s ({t[-1][1]:.2f} s CPU)" for k, t in times.items()))
    print(f"{args.model} {change}, {torch.get_num_threads()} thread(s), {args.rounds} rounds:")
    for kind, index in (("wall", 0), ("CPU", 1)):
        total = {}
        for key, recipe in recipes.items():
            epoch = statistics.median(t[index] for t in times[key])
            total[key] = recipe.epochs * epoch + teachers[key][1][index]
            print(
                f"  {kind} {key}: median epoch {epoch:.2f} s, teachers {teachers[key][1][index]:.1f} s, "
                f"{recipe.epochs} epochs {total[key]:.0f} s"
            )
        print(f"  {kind} ratio changed / as was: {total['changed'] / total['as was']:.3f}")


if __name__ == "__main__":
    main()
