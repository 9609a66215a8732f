"""Plots drawn from a checkpoint's card, saved as PNGs beside it.

    from training.checkpoint import read_card
    from training.plots import plot_checkpoint
    plot_checkpoint(read_card("models_store/mnist-lstm-128"), Path("models_store/mnist-lstm-128"))

Every model gets loss.png (training loss per iteration) and validation.png (validation
loss and accuracy per epoch). Digit models add confusion.png; adders add
bit_accuracy.png (lengths 1-20) and exact_by_length.png (log axis up to 10,000 bits).
"""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

DPI = 110


def save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def smooth(values: list[float], window: int) -> np.ndarray:
    """Moving average, so a noisy loss curve still shows its trend."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_loss(card: dict[str, Any], path: Path) -> Path:
    losses = card["history"]["train_loss"]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(losses, color="#9ab", linewidth=0.6, label="per iteration")
    window = max(1, len(losses) // 50)
    axis.plot(
        np.arange(len(losses) - len(smooth(losses, window)) + 1, len(losses) + 1) - 1,
        smooth(losses, window),
        color="#146",
        label=f"moving average ({window})",
    )
    axis.set(title=f"{card['name']}: training loss", xlabel="iteration", ylabel="loss", yscale="log")
    axis.legend()
    return save(figure, path)


def plot_validation(card: dict[str, Any], path: Path) -> Path:
    history = card["history"]
    epochs = np.arange(1, len(history["val_loss"]) + 1)
    figure, loss_axis = plt.subplots(figsize=(6, 3.5))
    loss_axis.plot(epochs, history["val_loss"], "o-", color="#c53", label="validation loss")
    loss_axis.set(xlabel="epoch", ylabel="loss", title=f"{card['name']}: validation")
    accuracy_axis = loss_axis.twinx()
    accuracy_axis.plot(epochs, np.array(history["val_accuracy"]) * 100, "s-", color="#146", label="accuracy")
    accuracy_axis.set_ylabel("accuracy (%)")
    figure.legend(loc="center right", bbox_to_anchor=(0.85, 0.5))
    return save(figure, path)


def plot_confusion(card: dict[str, Any], path: Path) -> Path:
    matrix = np.array(card["metrics"]["confusion_matrix"])
    figure, axis = plt.subplots(figsize=(5, 4.5))
    axis.imshow(np.log1p(matrix), cmap="Blues")
    for (true, predicted), count in np.ndenumerate(matrix):
        if count:
            axis.text(
                predicted,
                true,
                count,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if true == predicted else "black",
            )
    axis.set(
        xticks=range(10),
        yticks=range(10),
        xlabel="predicted",
        ylabel="true",
        title=f"{card['name']}: test confusion ({card['metrics']['test_accuracy']:.2%})",
    )
    return save(figure, path)


def plot_bit_accuracy(cards: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Bit accuracy against length 1..20 (the seed's plot), one line per adder."""
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for card in cards:
        by_length = card["metrics"]["by_length"]
        axis.plot(
            by_length["lengths"], np.array(by_length["bit_accuracy"]) * 100, "o-", markersize=3, label=card["name"]
        )
    axis.set(title=title, xlabel="length (bits)", ylabel="bit accuracy (%)", xticks=range(1, 21, 2))
    axis.legend(fontsize=8)
    return save(figure, path)


def plot_exact_by_length(cards: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Exact-sum accuracy against length on a log axis, 1 to 10,000 bits, random and adversarial."""
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for card in cards:
        short, long = card["metrics"]["by_length"], card["metrics"]["long"]
        lengths = short["lengths"] + long["lengths"]
        line = axis.plot(
            lengths,
            np.array(short["exact_accuracy"] + long["random_exact"]) * 100,
            "o-",
            markersize=3,
            label=f"{card['name']} (random)",
        )
        axis.plot(
            long["lengths"],
            np.array(long["adversarial_exact"]) * 100,
            "x--",
            color=line[0].get_color(),
            label=f"{card['name']} (adversarial)",
        )
    axis.set(title=title, xlabel="length (bits)", ylabel="exact-sum accuracy (%)", xscale="log", ylim=(-3, 103))
    axis.legend(fontsize=7)
    return save(figure, path)


def plot_checkpoint(card: dict[str, Any], directory: Path) -> list[Path]:
    """Every plot for one checkpoint, beside its card."""
    paths = [plot_loss(card, directory / "loss.png"), plot_validation(card, directory / "validation.png")]
    if card["task"] == "digits":
        paths.append(plot_confusion(card, directory / "confusion.png"))
    else:
        paths.append(plot_bit_accuracy([card], directory / "bit_accuracy.png", f"{card['name']}: bit accuracy"))
        paths.append(plot_exact_by_length([card], directory / "exact_by_length.png", f"{card['name']}: exact sums"))
    return paths


def plot_true_class_by_row(curves: dict[str, np.ndarray], path: Path) -> Path:
    """The mean probability of the true class after each row (rows 1..t alone), one line per digit model."""
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, curve in curves.items():
        axis.plot(np.arange(1, len(curve) + 1), curve * 100, "-", marker=".", markersize=3, label=name)
    axis.set(
        xlabel="rows read (t)",
        ylabel="mean P(true digit) (%)",
        title="Answer after t rows, MNIST test set",
        xticks=range(0, 29, 4),
        ylim=(0, 100),
    )
    axis.legend(fontsize=7, loc="upper left")
    return save(figure, path)


def plot_carry_units(readings: dict[str, tuple[Any, Any]], path: Path, columns: int = 48) -> Path:
    """Per adder, its carry unit over a long random sum: the unit and the carry along the first
    `columns` columns (left), and the unit's values split by the carry over the whole sum (right).
    `readings` maps a name to (training.reading.CarryTrace, CarryUnit)."""
    figure, axes = plt.subplots(len(readings), 2, figsize=(9, 1.7 * len(readings)), squeeze=False)
    for (name, (trace, unit)), (along, split) in zip(readings.items(), axes, strict=True):
        values = getattr(trace, unit.state)[:, unit.unit]
        steps = np.arange(1, columns + 1)
        along.bar(steps, trace.carry[:columns], width=1.0, color="#dde", label="carry out")
        along.twinx().plot(steps, values[:columns], color="#146", linewidth=1)
        along.set(ylabel=name.removeprefix("adder-lstm-"), yticks=[0, 1])
        for carry, colour in ((0, "#c53"), (1, "#146")):
            split.hist(values[trace.carry == carry], bins=40, color=colour, alpha=0.6, label=f"carry {carry}")
        split.set_title(f"{unit.state} unit {unit.unit}: r = {unit.correlation:+.3f}", fontsize=8)
    axes[0][0].set_title("first columns of the sum: carry (bars), unit (line)", fontsize=8)
    axes[-1][0].set_xlabel("column (LSB first)")
    axes[-1][1].set_xlabel("unit's value")
    axes[0][1].legend(fontsize=7)
    return save(figure, path)
