"""models_store/REPORT.md: every model against the seed's number, with plots and observations.

    python -m training report            # reads models_store/*/card.json, writes REPORT.md + plots/

Everything here is read from the cards, which the trainers measured; the observations
are computed from those figures, so they stay true when the models are retrained.
"""

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from training import reading
from training.checkpoint import checkpoint_dirs, load_checkpoint, read_card
from training.convention_report import writing_section
from training.mnist import load_test_set
from training.model import TASKS
from training.plots import plot_bit_accuracy, plot_carry_units, plot_exact_by_length, plot_true_class_by_row, save
from training.real_digits import real_digit_section
from training.zoo import baseline

ADDER_COMPARISONS = {
    "state_size": ("State size: 3 vs 5 vs 10 units", ["adder-lstm-3", "adder-lstm-5-mse", "adder-lstm-10"]),
    "loss": ("Loss: MSE vs binary cross-entropy", ["adder-lstm-5-mse", "adder-lstm-5-bce"]),
    "train_length": (
        "Training length: 3 vs 5 vs 10",
        ["adder-lstm-5-len3", "adder-lstm-5-len5", "adder-lstm-5-len10"],
    ),
}


def pct(value: float) -> str:
    return f"{value * 100:.2f} %"


def digit_table(cards: list[dict[str, Any]]) -> list[str]:
    header = "| model | test accuracy | seed | gain | parameters | epochs (best) | precision | training time |"
    rows = [header, "|" + " --- |" * 8]
    for card in cards:
        accuracy, training = card["metrics"]["test_accuracy"], card["training"]
        rows.append(
            f"| {card['name']} | **{pct(accuracy)}** | {pct(baseline(card['name']))} | "
            f"+{(accuracy - baseline(card['name'])) * 100:.2f} | {card['parameters']:,} | "
            f"{training['epochs']} ({training['best_epoch']}) | {training['precision']} | "
            f"{training['duration_seconds']:.0f} s |"
        )
    return rows


def adder_table(cards: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| model | loss | trained on | bit acc. 1-20 | seed | exact 1-20 | exact 100 / 1,000 / 10,000 bits "
        "(random; adversarial) | parameters | training time |",
        "|" + " --- |" * 9,
    ]
    for card in cards:
        metrics, recipe, long = card["metrics"], card["training"]["recipe"], card["metrics"]["long"]
        lengths = recipe.get("lengths", "?")
        regime = f"length {lengths[0]}" if lengths[0] == lengths[-1] else f"lengths {lengths[0]}-{lengths[-1]}"
        exact = " / ".join(f"{r * 100:.0f}" for r in long["random_exact"])
        adversarial = " / ".join(f"{a * 100:.0f}" for a in long["adversarial_exact"])
        rows.append(
            f"| {card['name']} | {recipe.get('loss', '?').upper()} | {regime} | **{pct(metrics['bit_accuracy'])}** | "
            f"{pct(baseline(card['name']))} | {pct(metrics['exact_accuracy'])} | {exact} %; {adversarial} % | "
            f"{card['parameters']:,} | {card['training']['duration_seconds']:.0f} s |"
        )
    return rows


def plot_digit_comparison(cards: list[dict[str, Any]], path: Path) -> Path:
    names = [card["name"].removeprefix("mnist-") for card in cards]
    ours = [card["metrics"]["test_accuracy"] * 100 for card in cards]
    seed = [baseline(card["name"]) * 100 for card in cards]
    x = np.arange(len(cards))
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.bar(x - 0.2, seed, 0.4, label="seed notebook", color="#bbb")
    axis.bar(x + 0.2, ours, 0.4, label="rnnlab", color="#146")
    axis.set(xticks=x, ylim=(93, 100), ylabel="test accuracy (%)", title="MNIST test accuracy")
    axis.set_xticklabels(names, rotation=20)
    axis.legend()
    return save(figure, path)


def plot_digit_curves(cards: list[dict[str, Any]], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for card in cards:
        accuracy = np.array(card["history"]["val_accuracy"]) * 100
        axis.plot(np.arange(1, len(accuracy) + 1), accuracy, "o-", markersize=3, label=card["name"])
    axis.set(xlabel="epoch", ylabel="validation accuracy (%)", ylim=(95, 100), title="Validation accuracy by epoch")
    axis.legend(fontsize=7)
    return save(figure, path)


def digit_observations(cards: list[dict[str, Any]]) -> list[str]:
    by_name = {card["name"]: card["metrics"]["test_accuracy"] for card in cards}
    best = max(by_name, key=by_name.__getitem__)
    gains = {name: by_name[name] - baseline(name) for name in by_name}
    biggest = max(gains, key=gains.__getitem__)
    lines = [
        f"- The best digit model is {best} at {pct(by_name[best])}; the seed's best was "
        f"{pct(max(baseline(n) for n in by_name))}.",
        f"- Every model beats its seed figure, by {min(gains.values()) * 100:.2f} to {max(gains.values()) * 100:.2f} "
        f"points; the largest gain is {biggest}'s.",
    ]
    errors = np.sum([np.array(card["metrics"]["confusion_matrix"]) for card in cards], axis=0)
    np.fill_diagonal(errors, 0)
    true, predicted = np.unravel_index(errors.argmax(), errors.shape)
    lines.append(
        f"- Summed over the zoo, the most frequent confusion is a true {true} read as {predicted} "
        f"({errors[true, predicted]} times in {len(cards)} x 10,000 test images)."
    )
    if {"mnist-rnn-128", "mnist-birnn-128"} <= by_name.keys():
        delta = (by_name["mnist-birnn-128"] - by_name["mnist-rnn-128"]) * 100
        lines.append(f"- Reading the rows in both directions changes the RNN's accuracy by {delta:+.2f} points.")
    gated = [by_name[n] for n in ("mnist-lstm-128", "mnist-gru-128") if n in by_name]
    if gated and "mnist-rnn-128" in by_name:
        lines.append(
            f"- Gated cells (LSTM, GRU) lead the plain RNN of the same width by "
            f"{(min(gated) - by_name['mnist-rnn-128']) * 100:.2f} points or more."
        )
    return lines


def adder_observations(cards: dict[str, dict[str, Any]]) -> list[str]:
    perfect = [n for n, c in cards.items() if c["metrics"]["bit_accuracy"] == 1.0]
    exact_long = [
        n
        for n, c in cards.items()
        if min(c["metrics"]["long"]["random_exact"] + c["metrics"]["long"]["adversarial_exact"]) == 1.0
    ]
    lines = [
        f"- {len(perfect)} of {len(cards)} adders reach 100 % bit accuracy on every length 1-20.",
        f"- {len(exact_long)} add 10,000-bit numbers exactly, random and adversarial alike: {', '.join(exact_long)}.",
    ]
    for name in cards.keys() - set(exact_long):
        card = cards[name]
        long, by_length = card["metrics"]["long"], card["metrics"]["by_length"]
        pairs = ", ".join(
            f"{length:,} bits: {r * 100:.0f} % / {a * 100:.0f} %"
            for length, r, a in zip(long["lengths"], long["random_exact"], long["adversarial_exact"], strict=True)
        )
        lines.append(
            f"- {name} falls to {by_length['bit_accuracy'][-1] * 100:.1f} % bit accuracy at length 20 and is "
            f"rarely exact on long inputs (random / adversarial: {pairs})."
        )
    if "adder-lstm-5-len3" in cards.keys() - set(exact_long):
        lines.append(
            "- Length 3 holds only 16 distinct examples, whose last column is always (0, 0): training never shows "
            "the len3 model a carry held across a non-zero column, so what it does from length 4 up is left to "
            "its initial weights; seed restarts chosen by validation are the only lever inside its regime."
        )
    return lines


def digit_reading(directories: list[Path], plots: Path, data_dir: Path | None) -> list[str]:
    """The answers row by row over the test set: a figure of P(true class) and the rows-needed table."""
    images, labels = load_test_set(data_dir)
    sure = f"{reading.SURE * 100:.0f} %"
    rows = [
        f"| model | rows until the answer is final | ... and at least {sure} sure | never {sure} sure "
        "| P(true) after 14 rows |",
        "|" + " --- |" * 5,
    ]
    curves = {}
    for directory in directories:
        model, card = load_checkpoint(directory)
        name = card["name"]
        probabilities = reading.step_probabilities(model, images)  # (10000, 28, 10)
        curves[name] = reading.true_class_curve(probabilities, labels)
        needed = reading.rows_needed(probabilities)
        rows.append(
            f"| {name} | {needed.final:.1f} | {needed.sure:.1f} | {pct(needed.never_sure)} | {pct(curves[name][13])} |"
        )
    plot_true_class_by_row(curves, plots / "digits_by_row.png")
    return [
        "### Reading row by row",
        "",
        "Step t is a model's answer to the image's first t rows alone, read as an image of t rows (the API's",
        "`/classify?steps=true`). For the one-directional models it is the head on the state after row t, from",
        "the same pass; the bidirectional two read each prefix again, their backward direction starting at row t.",
        "A row is counted as needed until the answer never changes again (and, for the second column, stays",
        f"at least {sure} probable); images never that sure are left out of that mean. 10,000 test images.",
        "",
        "![P(true class) by row](plots/digits_by_row.png)",
        "",
        *rows,
        "",
    ]


def adder_reading(directories: list[Path], plots: Path) -> list[str]:
    """Each adder's carry unit, found from its weights on a long random sum, and a figure of it."""
    readings = {}
    for directory in directories:
        model, card = load_checkpoint(directory)
        trace = reading.carry_trace(model)
        readings[card["name"]] = (trace, reading.best_unit(trace))
    plot_carry_units(readings, plots / "adders_carry_unit.png")
    lines = [
        "### The carry unit",
        "",
        f"Each adder reads one random sum of {reading.CARRY_SUM_BITS:,} columns (seeded); the unit of its hidden (h)",
        "or cell (c) state whose value correlates best with the true carry out of each column is its carry unit",
        f"(Pearson r; |r| < {reading.CARRY_TRACKED} counts as no unit tracking the carry). The service does the same.",
        "",
        "![carry unit](plots/adders_carry_unit.png)",
        "",
    ]
    for name, (_, unit) in readings.items():
        verdict = "tracks the carry" if unit.tracks else "is the closest, but no unit tracks the carry well"
        lines.append(f"- {name}: {unit.state} unit {unit.unit}, r = {unit.correlation:+.3f}: {verdict}.")
    return [*lines, ""]


def write_report(store: Path, data_dir: Path | None = None) -> Path:
    """store/REPORT.md and store/plots/*.png from every card in the store; the report's path."""
    directories = checkpoint_dirs(store)
    cards = [read_card(directory) for directory in directories]
    of_task = {task: [d for d, c in zip(directories, cards, strict=True) if c["task"] == task] for task in TASKS}
    plots = store / "plots"
    plots.mkdir(exist_ok=True)
    lines = [
        "# rnnlab model report",
        "",
        "Generated by `python -m training report` from the cards in this folder.",
        "Each figure was measured by the trainer (test set for digits, fixed-seed sweeps for adders) and can",
        "be recomputed from the weights with `python -m training evaluate NAME`.",
        "",
    ]
    digits = [c for c in cards if c["task"] == "digits"]
    if digits:
        lines += digit_section(digits, of_task["digits"], plots, data_dir)
        lines += writing_section(store)
        lines += real_digit_section(store)
    adders = {c["name"]: c for c in cards if c["task"] == "adder"}
    if adders:
        lines += adder_section(adders, of_task["adder"], plots)
    path = store / "REPORT.md"
    path.write_text("\n".join(lines))
    return path


def digit_section(
    digits: list[dict[str, Any]], directories: list[Path], plots: Path, data_dir: Path | None
) -> list[str]:
    """The digit models' table, figures, observations and reading row by row."""
    plot_digit_comparison(digits, plots / "digits_accuracy.png")
    plot_digit_curves(digits, plots / "digits_validation.png")
    per_model = ", ".join(f"[{c['name']}]({c['name']}/)" for c in digits)
    return [
        "## Digits (MNIST, 10,000 test images)",
        "",
        "Training time is each model's own, in one single-threaded process (`--jobs` runs several at once).",
        "Test accuracy is measured in float32, as the service runs the models, whatever the training precision.",
        "",
        *digit_table(digits),
        "",
        "![test accuracy](plots/digits_accuracy.png)",
        "![validation](plots/digits_validation.png)",
        "",
        f"Per model: {per_model} (loss.png, validation.png, confusion.png).",
        "",
        "### Observations",
        "",
        *digit_observations(digits),
        "",
        *digit_reading(directories, plots, data_dir),
    ]


def adder_section(adders: dict[str, dict[str, Any]], directories: list[Path], plots: Path) -> list[str]:
    """The adders' table, the comparisons' figures, observations and carry units."""
    lines = ["## Binary adders", "", *adder_table(list(adders.values())), ""]
    for key, (title, names) in ADDER_COMPARISONS.items():
        present = [adders[n] for n in names if n in adders]
        if present:
            plot_bit_accuracy(present, plots / f"adders_{key}_bits.png", title)
            plot_exact_by_length(present, plots / f"adders_{key}_exact.png", title)
            lines += [
                f"### {title}",
                "",
                f"![bits](plots/adders_{key}_bits.png)",
                f"![exact](plots/adders_{key}_exact.png)",
                "",
            ]
    return [*lines, "### Observations", "", *adder_observations(adders), "", *adder_reading(directories, plots)]
