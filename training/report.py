"""models_store/REPORT.md: every model against the seed's number, with plots and observations.

    python -m training report            # reads models_store/*/card.json, writes REPORT.md + plots/

Everything here is read from the cards, which the trainers measured; the observations
are computed from those figures, so they stay true when the models are retrained.
"""

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from training.checkpoint import checkpoint_dirs, read_card
from training.convention_report import writing_section
from training.plots import plot_bit_accuracy, plot_exact_by_length, save

# The original notebook's figures (DESIGN.md): test accuracy for digits, bit accuracy for adders.
SEED_BASELINE = {
    "mnist-rnn-128": 0.9442,
    "mnist-rnn-256": 0.9486,
    "mnist-rnn-128x2": 0.9683,
    "mnist-lstm-128": 0.9738,
    "mnist-gru-128": 0.9706,
    "mnist-birnn-128": 0.9560,
    "mnist-bilstm-128": 0.9782,
    "adder-lstm-3": 0.9233,
    "adder-lstm-10": 1.0,
    "adder-lstm-5-mse": 1.0,
    "adder-lstm-5-bce": 1.0,
    "adder-lstm-5-len3": 0.8135,
    "adder-lstm-5-len5": 0.9981,
    "adder-lstm-5-len10": 1.0,
}
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
            f"| {card['name']} | **{pct(accuracy)}** | {pct(SEED_BASELINE[card['name']])} | "
            f"+{(accuracy - SEED_BASELINE[card['name']]) * 100:.2f} | {card['parameters']:,} | "
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
            f"{pct(SEED_BASELINE[card['name']])} | {pct(metrics['exact_accuracy'])} | {exact} %; {adversarial} % | "
            f"{card['parameters']:,} | {card['training']['duration_seconds']:.0f} s |"
        )
    return rows


def plot_digit_comparison(cards: list[dict[str, Any]], path: Path) -> Path:
    names = [card["name"].removeprefix("mnist-") for card in cards]
    ours = [card["metrics"]["test_accuracy"] * 100 for card in cards]
    seed = [SEED_BASELINE[card["name"]] * 100 for card in cards]
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
    gains = {name: by_name[name] - SEED_BASELINE[name] for name in by_name}
    biggest = max(gains, key=gains.__getitem__)
    lines = [
        f"- The best digit model is {best} at {pct(by_name[best])}; the seed's best was "
        f"{pct(max(SEED_BASELINE[n] for n in by_name))}.",
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


def write_report(store: Path) -> Path:
    cards = [read_card(directory) for directory in checkpoint_dirs(store)]
    digits = [c for c in cards if c["task"] == "digits"]
    adders = {c["name"]: c for c in cards if c["task"] == "adder"}
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
    if digits:
        plot_digit_comparison(digits, plots / "digits_accuracy.png")
        plot_digit_curves(digits, plots / "digits_validation.png")
        lines += [
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
            "Per model: "
            + ", ".join(f"[{c['name']}]({c['name']}/)" for c in digits)
            + " (loss.png, validation.png, confusion.png).",
            "",
            "### Observations",
            "",
            *digit_observations(digits),
            "",
            *writing_section(store),
        ]
    if adders:
        lines += ["## Binary adders", "", *adder_table(list(adders.values())), ""]
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
        lines += ["### Observations", "", *adder_observations(adders), ""]
    path = store / "REPORT.md"
    path.write_text("\n".join(lines))
    return path
