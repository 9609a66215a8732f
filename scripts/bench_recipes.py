"""One training epoch of a digit model's recipe without and with the writing-convention augmentation, side by side.

    python scripts/bench_recipes.py                                 # mnist-rnn-128, 3 rounds, 1 thread
    python scripts/bench_recipes.py --model mnist-lstm-128 --rounds 5

Each round trains one epoch of the model's recipe (training.train_mnist.RECIPES) as it was,
without conventions, then one with them, on fresh models; rounds alternate, so the
machine's noise hits both. The medians and their ratio are printed: the zoo's retraining
time grows by that ratio for this model (the conventions are redrawn once an epoch). Wall and CPU
time are both printed: on a machine shared with other work the CPU time is the fairer figure.
"""

import argparse
import statistics
import time
from dataclasses import replace

import torch
from tqdm import tqdm

from training.mnist import load_mnist
from training.model import DIGIT_MODELS, build_model
from training.train_mnist import RECIPES, MnistRecipe, train_one_epoch


def epoch_seconds(name: str, data, recipe: MnistRecipe) -> tuple[float, float]:
    """(wall, CPU) seconds of one epoch. On a shared machine the CPU time is the steadier of the two."""
    model = build_model("digits", DIGIT_MODELS[name])
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    wall, cpu = time.perf_counter(), time.process_time()
    with tqdm(total=len(data.train_images), disable=True) as progress:
        train_one_epoch(model, data, optimizer, schedule, recipe, torch.Generator().manual_seed(0), progress)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mnist-rnn-128", choices=list(DIGIT_MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_mnist()
    recipes = {key: replace(RECIPES[args.model], conventions=key == "with") for key in ("without", "with")}
    times: dict[str, list[tuple[float, float]]] = {key: [] for key in recipes}
    for round_ in range(1, args.rounds + 1):
        for key, recipe in recipes.items():
            times[key].append(epoch_seconds(args.model, data, recipe))
        (wall0, cpu0), (wall1, cpu1) = times["without"][-1], times["with"][-1]
        print(
            f"round {round_}: without conventions {wall0:.2f} s ({cpu0:.2f} s CPU), "
            f"with {wall1:.2f} s ({cpu1:.2f} s CPU)"
        )
    for kind, index in (("wall", 0), ("CPU", 1)):
        before = statistics.median(t[index] for t in times["without"])
        after = statistics.median(t[index] for t in times["with"])
        print(
            f"{args.model}, batch {RECIPES[args.model].batch_size}, {torch.get_num_threads()} thread(s), "
            f"{args.rounds} rounds, {kind} time: median epoch {before:.2f} s without conventions, "
            f"{after:.2f} s with, ratio {after / before:.3f}"
        )


if __name__ == "__main__":
    main()
