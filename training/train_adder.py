"""Train the binary adders: LSTMs that add two numbers read least-significant bit first.

    python -m training adder --model adder-lstm-5-bce
    python -m training adder --model all --out models_store
    python -m training adder --model all --dry-run --out /tmp/zoo     # seconds, a few steps each

An example of length L holds two numbers below 2**(L-1) and their L-bit sum, LSB first
(training.bits). Each batch is fresh and has one length, drawn from the model's regime (1..20,
or exactly 3, 5 or 10); half its examples are built from runs of carry-generating, -killing or
-propagating columns (long carry chains). Gradients only ever see regime lengths. Validation
beyond the regime (up to 2,000 bits) only chooses among epochs and restarts. The card's metrics
(adder_metrics) use other, fixed draws: 100 random examples a length 1..20, and random and
adversarial examples at 100, 1,000 and 10,000 bits. Writes models_store/<name>/{model.safetensors,
card.json}.
"""

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from training.bits import draw_batch
from training.checkpoint import save_checkpoint
from training.metrics import adder_metrics
from training.model import BinaryAdder, build_model
from training.runtime import package_versions, seed_everything
from training.zoo import ADDER_ZOO, AdderRecipe

DRY_RUN = {"epochs": 2, "steps_per_epoch": 3, "batch_size": 8, "restarts": 1}

VAL_EXAMPLES = 64  # validation examples a length, half uniform, half runs
BEYOND = (10, 20, 100, 2000)  # validation lengths beyond the regime: for selection only, never for gradients


def loss_of(logits: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """Mean loss over every bit: MSE on sigmoid probabilities, or binary cross-entropy on logits."""
    if loss == "mse":
        return F.mse_loss(torch.sigmoid(logits), targets)
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, targets)
    raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'bce'")


Batch = tuple[torch.Tensor, torch.Tensor]  # inputs (n, length, 2), sum bits (n, length)


@dataclass
class Validation:
    in_regime: list[Batch]  # one batch per regime length
    beyond: list[Batch]  # one per BEYOND length: for choosing among epochs and restarts, never for gradients


def validation_sets(recipe: AdderRecipe) -> Validation:
    generator = torch.Generator().manual_seed(recipe.seed + 10_000)
    in_regime = [draw_batch(length, VAL_EXAMPLES, 0.5, generator) for length in recipe.lengths]
    return Validation(in_regime, [draw_batch(length, VAL_EXAMPLES, 0.5, generator) for length in BEYOND])


def validate(model: BinaryAdder, validation: Validation, loss: str) -> dict[str, float]:
    """In-regime loss and bit accuracy; exact-sum and bit accuracy beyond the regime (means over lengths)."""
    model.eval()
    with torch.no_grad():
        in_regime = [(model(x), y) for x, y in validation.in_regime]
        beyond = [(model(x) > 0) == y.bool() for x, y in validation.beyond]  # (n, length) right bits
    model.train()
    right = sum(int(((logits > 0) == y.bool()).sum()) for logits, y in in_regime)
    return {
        "loss": sum(loss_of(logits, y, loss).item() for logits, y in in_regime) / len(in_regime),
        "bit_accuracy": right / sum(y.numel() for _, y in in_regime),
        "beyond_exact": sum(r.all(1).float().mean().item() for r in beyond) / len(beyond),
        "beyond_bit_accuracy": sum(r.float().mean().item() for r in beyond) / len(beyond),
    }


HISTORY_FIELDS = {  # history key -> validate()'s key, one value an epoch
    "val_loss": "loss",
    "val_accuracy": "bit_accuracy",
    "val_beyond_accuracy": "beyond_bit_accuracy",
    "val_beyond_exact": "beyond_exact",
}


def score_of(val: dict[str, float]) -> tuple[float, ...]:
    """Selection order: in-regime bit accuracy, then bit and exact-sum accuracy beyond it, then loss."""
    return val["bit_accuracy"], val["beyond_bit_accuracy"], val["beyond_exact"], -val["loss"]


def train_one_epoch(
    model: BinaryAdder,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    recipe: AdderRecipe,
    generator: torch.Generator,
    progress: tqdm,
) -> list[float]:
    """`steps_per_epoch` steps, each on a fresh batch of one regime length; returns each step's loss."""
    losses = []
    for _ in range(recipe.steps_per_epoch):
        length = recipe.lengths[int(torch.randint(len(recipe.lengths), (1,), generator=generator))]
        inputs, targets = draw_batch(length, recipe.batch_size, recipe.run_share, generator)
        inputs = inputs + recipe.input_noise * torch.randn(inputs.shape, generator=generator)
        loss = loss_of(model(inputs), targets, recipe.loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        optimizer.step()
        schedule.step()
        losses.append(round(loss.item(), 6))
        progress.update(1)
        progress.set_postfix(loss=f"{loss.item():.4f}")
    return losses


@dataclass
class Run:
    seed: int
    model: BinaryAdder  # holding its best epoch's weights
    best_epoch: int
    best: dict[str, float]  # that epoch's validation
    history: dict[str, list[float]]


def train_run(name: str, recipe: AdderRecipe, seed: int, validation: Validation) -> Run:
    """Train one adder from one seed; keep the epoch that validation scores best."""
    generator = seed_everything(seed)
    model = build_model("adder", ADDER_ZOO[name].config)
    assert isinstance(model, BinaryAdder)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    total = recipe.epochs * recipe.steps_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * step / total))
    )
    history: dict[str, list[float]] = {"train_loss": [], **{key: [] for key in HISTORY_FIELDS}}
    best: dict[str, float] = {}
    best_epoch, best_state = 0, model.state_dict()
    for epoch in range(1, recipe.epochs + 1):
        with tqdm(
            total=recipe.steps_per_epoch, desc=f"{name} seed {seed} {epoch}/{recipe.epochs}", unit="step", leave=False
        ) as progress:
            history["train_loss"] += train_one_epoch(model, optimizer, schedule, recipe, generator, progress)
        val = validate(model, validation, recipe.loss)
        for key, field in HISTORY_FIELDS.items():
            history[key].append(round(val[field], 6))
        if not best or score_of(val) > score_of(best):
            best, best_epoch = val, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    tqdm.write(
        f"{name} seed {seed}: best epoch {best_epoch}, val loss {best['loss']:.5f}, bit accuracy "
        f"{best['bit_accuracy']:.2%}, beyond the regime exact {best['beyond_exact']:.0%}"
    )
    return Run(seed, model.eval(), best_epoch, best, history)


def train(name: str, recipe: AdderRecipe, out: Path) -> dict[str, Any]:
    """Train `restarts` runs of one adder, keep the best by validation, measure it, save it; return its card."""
    started = time.perf_counter()
    validation = validation_sets(recipe)
    runs = [train_run(name, recipe, recipe.seed + k, validation) for k in range(recipe.restarts)]
    run = max(runs, key=lambda r: score_of(r.best))
    duration = time.perf_counter() - started
    card = {
        "name": name,
        "task": "adder",
        "training": {
            "recipe": asdict(recipe),
            "seed": run.seed,
            "epochs": recipe.epochs,
            "best_epoch": run.best_epoch,
            "duration_seconds": round(duration, 1),
            "device": "cpu",
            "versions": package_versions(),
            "data": data_description(recipe),
            "restarts": [
                {"seed": r.seed, "best_epoch": r.best_epoch, **{k: round(v, 6) for k, v in r.best.items()}}
                for r in runs
            ],
        },
        "metrics": adder_metrics(run.model),
        "history": run.history,
    }
    return save_checkpoint(run.model, card, out / name)


def data_description(recipe: AdderRecipe) -> str:
    lengths = f"{recipe.lengths[0]}-{recipe.lengths[-1]}" if len(recipe.lengths) > 1 else str(recipe.lengths[0])
    distinct = sum(4 ** (length - 1) for length in recipe.lengths)  # operand pairs the regime holds
    return (
        f"{recipe.epochs * recipe.steps_per_epoch * recipe.batch_size:,} fresh examples a run (of {distinct:,} "
        f"distinct ones), lengths {lengths} "
        f"(one length a batch), {recipe.run_share:.0%} as runs of one column kind (long carry chains), input noise "
        f"{recipe.input_noise}; {recipe.restarts} run(s). Selection on {VAL_EXAMPLES} validation examples a "
        f"regime length, then at lengths {', '.join(map(str, BEYOND))} (selection only, no gradients)"
    )


def main(names: list[str], out: Path, seed: int | None, epochs: int | None, dry_run: bool) -> list[dict[str, Any]]:
    """Train each named adder into out/<name>/; returns the saved cards."""
    cards = []
    for name in names:
        overrides: dict[str, Any] = {**(DRY_RUN if dry_run else {})}
        overrides.update({k: v for k, v in (("seed", seed), ("epochs", epochs)) if v is not None})
        card = train(name, replace(ADDER_ZOO[name].recipe, **overrides), out)
        m = card["metrics"]
        print(
            f"{name}: bit accuracy {m['bit_accuracy']:.2%} (lengths 1-20), exact at 10,000 bits "
            f"{m['long']['random_exact'][-1]:.0%} random / {m['long']['adversarial_exact'][-1]:.0%} adversarial "
            f"({card['training']['duration_seconds']:.0f} s) -> {out / name}"
        )
        cards.append(card)
    return cards
