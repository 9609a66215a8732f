"""How the networks read: answers row by row, and the adder's unit that holds the carry.

    from training.checkpoint import load_checkpoint
    from training.reading import find_carry_unit, step_probabilities, rows_needed
    adder, _ = load_checkpoint("models_store/adder-lstm-10")
    find_carry_unit(adder)          # CarryUnit(unit=3, state='cell', correlation=-0.99, ...)
    model, _ = load_checkpoint("models_store/mnist-gru-128")
    probabilities = step_probabilities(model, images)   # (n, 28 rows, 10)
    rows_needed(probabilities)      # RowsNeeded(final=..., sure=..., never_sure=...)

A digit model's step t is its answer to rows 1..t alone (DigitClassifier.step_logits). An adder's
carry unit is the hidden or cell unit whose value over a long random sum correlates best (Pearson)
with the true carry out of each column. Imports torch, numpy and training modules only: the report
and the service both use it.
"""

import random
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from training.bits import encode_pairs
from training.model import BinaryAdder, DigitClassifier

CARRY_TRACKED = 0.8  # |r| from which a unit is said to track the carry
SURE = 0.9  # the probability from which an answer counts as sure
CARRY_SUM_BITS = 1_000  # the random sum that carry units are found on: one sequence, LSB first
CARRY_SEED = 0


@dataclass(frozen=True)
class CarryUnit:
    unit: int  # index into the adder's hidden (or cell) state
    state: Literal["hidden", "cell"]  # h, the LSTM's output, or c, its memory
    correlation: float  # Pearson r with the true carry, in [-1, 1]; its sign is the unit's convention

    @property
    def tracks(self) -> bool:
        return abs(self.correlation) >= CARRY_TRACKED


@dataclass(frozen=True)
class CarryTrace:
    """An adder's reading of one random sum, to find and plot its carry unit."""

    carry: np.ndarray  # (steps,) 0/1: the carry out of each column
    hidden: np.ndarray  # (steps, hidden): h after each column
    cell: np.ndarray  # (steps, hidden): c after each column


def carries(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Operand bits (steps,), LSB first -> the carry out of each column (steps,), by ripple-carry addition."""
    carry, out = 0, np.zeros(len(a), dtype=np.int64)
    for t, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        carry = (x & y) | (carry & (x | y))
        out[t] = carry
    return out


def carry_trace(model: BinaryAdder, bits: int = CARRY_SUM_BITS, seed: int = CARRY_SEED) -> CarryTrace:
    """Run the adder over one random sum of `bits` columns (seeded) and record its states and the carry."""
    rng = random.Random(seed)
    a, b = format(rng.getrandbits(bits), "b"), format(rng.getrandbits(bits), "b")
    inputs = encode_pairs([(a, b)], bits)  # (1, bits, 2), LSB first
    with torch.inference_mode():
        steps = model.steps(inputs)
    operands = inputs[0].numpy().astype(np.int64)
    return CarryTrace(carries(operands[:, 0], operands[:, 1]), steps.hidden[0].numpy(), steps.cell[0].numpy())


def correlations(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson r of each column of `values` (steps, units) with `target` (steps,); 0 for a constant unit."""
    x = values - values.mean(axis=0)
    y = target - target.mean()
    spread = np.sqrt((x**2).sum(axis=0) * (y**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y[:, None]).sum(axis=0) / spread
    cleaned: np.ndarray = np.nan_to_num(r)
    return cleaned


def best_unit(trace: CarryTrace) -> CarryUnit:
    """The unit, hidden or cell, whose value correlates most strongly (either sign) with the carry."""
    candidates = []
    states: tuple[tuple[Literal["hidden", "cell"], np.ndarray], ...] = (("hidden", trace.hidden), ("cell", trace.cell))
    for state, values in states:
        r = correlations(values.astype(np.float64), trace.carry.astype(np.float64))
        unit = int(np.abs(r).argmax())
        candidates.append(CarryUnit(unit, state, round(float(r[unit]), 4)))
    return max(candidates, key=lambda candidate: abs(candidate.correlation))  # ties: the hidden state


def find_carry_unit(model: BinaryAdder, bits: int = CARRY_SUM_BITS, seed: int = CARRY_SEED) -> CarryUnit:
    return best_unit(carry_trace(model, bits, seed))


def step_probabilities(model: DigitClassifier, images: torch.Tensor, batch_size: int = 250) -> torch.Tensor:
    """uint8 (n, 28, 28) -> (n, 28 rows, 10) softmax probabilities after each row, in batches."""
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            inputs = images[start : start + batch_size].float() / 255.0
            chunks.append(torch.softmax(model.step_logits(inputs), dim=-1))
    return torch.cat(chunks)


@dataclass(frozen=True)
class RowsNeeded:
    final: float  # mean row from which the answer never changes
    sure: float  # mean row from which it never changes and stays at least SURE probable
    never_sure: float  # share of images whose final answer is under SURE probable: left out of `sure`


def settled_from(holds: torch.Tensor) -> torch.Tensor:
    """(n, rows) bools -> (n,) the first row (1-based) from which `holds` is true to the end; rows + 1 if never."""
    trailing = holds.flip(1).int().cumprod(1).sum(1)  # how many of the last rows hold, in a row
    return holds.shape[1] + 1 - trailing


def rows_needed(probabilities: torch.Tensor) -> RowsNeeded:
    """(n, rows, 10) step probabilities -> how many rows an answer needs, on average, to be final (and sure)."""
    answers = probabilities.argmax(-1)  # (n, rows)
    final = answers[:, -1:]
    same = answers == final
    sure = same & (probabilities.max(-1).values >= SURE)
    final_row, sure_row = settled_from(same).double(), settled_from(sure).double()
    reached = sure_row <= probabilities.shape[1]
    return RowsNeeded(
        final=round(final_row.mean().item(), 2),
        sure=round(sure_row[reached].mean().item(), 2) if reached.any() else float("nan"),
        never_sure=round(1 - reached.double().mean().item(), 4),
    )


def true_class_curve(probabilities: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """(n, rows, 10) and (n,) -> (rows,) the mean probability of the true class after each row."""
    picked = probabilities.gather(2, labels.view(-1, 1, 1).expand(-1, probabilities.shape[1], 1))
    return picked.squeeze(2).double().mean(0).numpy()
