"""Train the digit classifiers on MNIST, read row by row.

    python -m training mnist --model mnist-lstm-128
    python -m training mnist --model all --out models_store
    python -m training mnist --model all --dry-run --out /tmp/zoo     # seconds, synthetic data

Keeps the epoch with the best validation accuracy, evaluates it on the test set and
writes models_store/<name>/{model.safetensors, card.json, *.png}.
"""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from training.checkpoint import save_checkpoint
from training.distill import STORE, distilled_loss, teacher_probabilities
from training.metrics import digit_metrics, score_digits
from training.mnist import Mnist, augment, load_mnist, to_inputs
from training.model import build_model
from training.runtime import native_bfloat16, package_versions, pick_device, seed_everything
from training.writing import add_conventions
from training.zoo import DIGIT_ZOO, MnistRecipe

Teacher = torch.Tensor | None  # soft targets (50,000, 10) for distillation, or none


def precision(recipe: MnistRecipe, device: torch.device) -> str:
    """What the forward pass computes in: bfloat16 where the recipe asks and the hardware has it."""
    return "bfloat16 autocast" if recipe.mixed_precision and native_bfloat16(device) else "float32"


def train_one_epoch(
    model: nn.Module,
    data: Mnist,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    recipe: MnistRecipe,
    generator: torch.Generator,
    progress: tqdm,
    teacher: Teacher = None,
) -> list[float]:
    """One pass over the training images in a seeded order; returns the loss of each step.

    teacher: soft targets (50000, 10) for the training images, for distillation (recipe.distill).
    """
    device = next(model.parameters()).device
    model.train()
    order = torch.randperm(len(data.train_images), generator=generator)
    images = data.train_images  # (50000, 28, 28) uint8, with writing conventions redrawn on some each epoch
    if recipe.conventions:
        images = add_conventions(images, data.train_labels, generator, recipe.conventions)
    losses = []
    for start in range(0, len(order), recipe.batch_size):
        batch = order[start : start + recipe.batch_size]
        x = to_inputs(images[batch])  # (batch, 28 steps, 28 features)
        warp = int(len(batch) * recipe.augment_share)
        if warp:
            x[:warp] = augment(x[:warp], data.train_labels[batch[:warp]], generator, recipe.flags)
        soft = None if teacher is None else teacher[batch].to(device)
        loss = batch_loss(model, x.to(device), data.train_labels[batch].to(device), soft, recipe)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        optimizer.step()
        schedule.step()
        losses.append(round(loss.item(), 5))
        progress.update(len(batch))
        progress.set_postfix(loss=f"{loss.item():.3f}")
    return losses


def batch_loss(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, soft: torch.Tensor | None, recipe: MnistRecipe
) -> torch.Tensor:
    """Cross-entropy of one batch (x: (batch, 28, 28), y: (batch,)), or its distilled loss against
    the teachers' soft targets (batch, 10)."""
    mixed = precision(recipe, x.device) != "float32"
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=mixed):
        logits = model(x)  # the recurrent layers in bfloat16; the weights stay float32
    if soft is None:
        return F.cross_entropy(logits.float(), y)
    return distilled_loss(logits.float(), y, soft, recipe.distill)


def train(name: str, data: Mnist, recipe: MnistRecipe, out: Path) -> dict[str, Any]:
    """Train one digit model, keep its best validation epoch, test it, save it; return its card."""
    generator = seed_everything(recipe.seed)  # before the model: its initial weights come from the seed
    device = pick_device()
    model = build_model("digits", DIGIT_ZOO[name].config).to(device)
    started = time.perf_counter()
    teacher, teachers = None, {}
    if recipe.distill:  # the other committed digit models' soft targets, computed once (inside the timing)
        teacher, teachers = teacher_probabilities(STORE, data.train_images, exclude=name)
    history, best_epoch, best_accuracy = fit(name, model, data, recipe, generator, teacher)
    record = {
        "recipe": asdict(recipe),
        "seed": recipe.seed,
        "epochs": recipe.epochs,
        "best_epoch": best_epoch,
        "duration_seconds": round(time.perf_counter() - started, 1),
        "device": str(device),
        "precision": precision(recipe, device),
        "versions": package_versions(),
        **({"teachers": teachers} if teachers else {}),
        "data": f"MNIST: {len(data.train_images)} train / {len(data.val_images)} validation / "
        f"{len(data.test_images)} test",
    }
    test = score_digits(model, data.test_images, data.test_labels)
    metrics = {"val_accuracy": round(best_accuracy, 6), **digit_metrics(test.predictions, data.test_labels)}
    card = {"name": name, "task": "digits", "training": record, "metrics": metrics, "history": history}
    return save_checkpoint(model.cpu(), card, out / name)


def fit(
    name: str, model: nn.Module, data: Mnist, recipe: MnistRecipe, generator: torch.Generator, teacher: Teacher
) -> tuple[dict[str, list[float]], int, float]:
    """Train for recipe.epochs, validating after each, and leave the model holding its best epoch's
    weights; returns the curves, the best epoch and its validation accuracy."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    steps = recipe.epochs * -(-len(data.train_images) // recipe.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps, pct_start=0.2)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best_accuracy, best_epoch, best_state = -1.0, 0, model.state_dict()
    for epoch in range(1, recipe.epochs + 1):
        with progress_bar(f"{name} {epoch}/{recipe.epochs}", len(data.train_images)) as progress:
            history["train_loss"] += train_one_epoch(
                model, data, optimizer, schedule, recipe, generator, progress, teacher
            )
        val = score_digits(model, data.val_images, data.val_labels)
        history["val_loss"].append(round(val.loss, 5))
        history["val_accuracy"].append(round(val.accuracy, 5))
        tqdm.write(f"{name} epoch {epoch}: val loss {val.loss:.4f}, val accuracy {val.accuracy:.2%}")
        if val.accuracy > best_accuracy:
            best_accuracy, best_epoch = val.accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return history, best_epoch, best_accuracy


def progress_bar(description: str, images: int) -> tqdm:
    """A bar over one epoch's images; none when the output is not a terminal (logs, CI), where the
    epoch lines still print."""
    return tqdm(total=images, desc=description, unit="img", unit_scale=True, leave=False, mininterval=1.0, disable=None)


def synthetic_mnist(n: int = 256, seed: int = 0) -> Mnist:
    """A tiny random stand-in for MNIST, for dry runs and tests."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return Mnist(images, labels, images[:64], labels[:64], images[:64], labels[:64])


def train_named(
    name: str, out: Path, overrides: dict[str, Any], data_dir: Path | None, dry_run: bool
) -> dict[str, Any]:
    """Train the zoo's model `name` with its recipe from DIGIT_ZOO, updated by `overrides`; return its card.

    A top-level function, so that a process pool can run it (main's --jobs).
    """
    if dry_run:
        data, overrides = synthetic_mnist(), {**overrides, "epochs": 1, "batch_size": 64}
    else:
        data = load_mnist(data_dir)
    card = train(name, data, replace(DIGIT_ZOO[name].recipe, **overrides), out)
    metrics, training = card["metrics"], card["training"]
    print(
        f"{name}: test accuracy {metrics['test_accuracy']:.2%} (best epoch {training['best_epoch']}, "
        f"{training['duration_seconds']:.0f} s) -> {out / name}"
    )
    return card


def main(
    names: list[str], out: Path, overrides: dict[str, Any], data_dir: Path | None, dry_run: bool, jobs: int = 1
) -> list[dict[str, Any]]:
    """Train each named model (train_named); the cards in the order of `names`.

    With jobs > 1, models train in that many single-threaded processes: these small nets use
    two cores better as two trainings at once than as one two-threaded training. Each model is
    seeded on its own, so its weights do not depend on jobs.
    """
    if jobs <= 1 or len(names) <= 1:
        return [train_named(name, out, overrides, data_dir, dry_run) for name in names]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        longest_first = sorted(names, key=list(DIGIT_ZOO).index)  # the last to start is a short one
        cards = {name: pool.submit(train_named, name, out, overrides, data_dir, dry_run) for name in longest_first}
        return [cards[name].result() for name in names]
