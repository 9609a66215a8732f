"""Bit strings and numbers <-> adder tensors, and the one inference function the service calls.

    from training.bits import add_bit_strings
    from training.checkpoint import load_checkpoint
    model, _ = load_checkpoint("models_store/adder-lstm-5-bce")
    result = add_bit_strings(model, "1011", "110")   # 11 + 6
    result.sum            # '10001' (MSB first, max(len(a), len(b)) + 1 bits)
    result.probabilities  # P(bit = 1) for each bit of result.sum, MSB first

Strings are most-significant bit first, as people write them; the model reads and writes
least-significant bit first, so that the carry flows forward in time. Imports only torch
(and training.model, which imports only torch).
"""

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from training.model import BinaryAdder

ZERO = ord("0")


@dataclass(frozen=True)
class SumResult:
    sum: str  # the model's sum, MSB first, max(len(a), len(b)) + 1 bits
    probabilities: list[float]  # P(bit = 1) for each bit of `sum`, MSB first


def check_bits(bits: str, name: str = "bits") -> None:
    """Raise ValueError unless `bits` is a non-empty string of '0' and '1'."""
    if not bits:
        raise ValueError(f"{name} is empty; give at least one bit")
    stray = set(bits) - {"0", "1"}
    if stray:
        raise ValueError(f"{name} may hold only '0' and '1', not {''.join(sorted(stray))!r}")


def lsb_first(bits: str, steps: int) -> torch.Tensor:
    """'0110' (MSB first) -> (steps,) float 0/1, LSB first, zero-padded at the top end."""
    digits = torch.frombuffer(bytearray(bits[::-1].encode("ascii")), dtype=torch.uint8) - ZERO
    return F.pad(digits.float(), (0, steps - len(bits)))


def msb_first(bits: torch.Tensor) -> str:
    """(steps,) bool or 0/1, LSB first -> the MSB-first string."""
    return bytes((bits.flip(0).to(torch.uint8) + ZERO).tolist()).decode("ascii")


def encode_pairs(pairs: list[tuple[str, str]], steps: int) -> torch.Tensor:
    """[(a, b), ...] MSB-first strings -> (batch, steps, 2) float inputs, LSB first.

    One string of every operand, reversed and zero-padded, read as bytes: a few microseconds for a
    batch, where two tensors per operand cost a few microseconds each.
    """
    if not pairs:
        return torch.zeros(0, steps, 2)
    text = "".join(bits[::-1].ljust(steps, "0") for pair in pairs for bits in pair)  # (batch, 2, steps) chars
    digits = torch.frombuffer(bytearray(text.encode("ascii")), dtype=torch.uint8).view(len(pairs), 2, steps) - ZERO
    return digits.transpose(1, 2).float()


def encode_numbers(pairs: list[tuple[int, int]], steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[(a, b), ...] non-negative ints -> inputs (batch, steps, 2) and sum bits (batch, steps), LSB first.

    The caller keeps a, b and a + b below 2**steps; a sum bit beyond `steps` would be lost.
    """
    inputs = encode_pairs([(format(a, "b"), format(b, "b")) for a, b in pairs], steps)
    targets = torch.stack([lsb_first(format(a + b, "b"), steps) for a, b in pairs])
    return inputs, targets


def add_bit_strings_batch(
    model: BinaryAdder, pairs: list[tuple[str, str]], decimals: int | None = None
) -> list[SumResult]:
    """Add each (a, b) with one forward pass over the batch; see add_bit_strings. `decimals`
    rounds the probabilities (the service's answers), for the whole batch at once.

    Pairs of different widths share the pass: the LSTM is causal, so the zero padding above a
    pair's own width cannot change its first bits, and each result keeps only its own width.
    """
    for a, b in pairs:
        check_bits(a, "a")
        check_bits(b, "b")
    if not pairs:
        return []
    widths = [max(len(a), len(b)) + 1 for a, b in pairs]  # one more bit for the final carry
    steps = max(widths)
    device = next(model.parameters()).device
    with torch.no_grad():
        logits = model(encode_pairs(pairs, steps).to(device)).cpu().flip(1)  # (batch, steps), MSB first
    probabilities = torch.sigmoid(logits.double())
    if decimals is not None:
        probabilities = torch.round(probabilities, decimals=decimals)
    sums = ((logits > 0).to(torch.uint8) + ZERO).numpy().tobytes()  # every row's bits, as ASCII
    rows = probabilities.tolist()
    return [
        SumResult(sums[row * steps + steps - width : (row + 1) * steps].decode("ascii"), rows[row][steps - width :])
        for row, width in enumerate(widths)  # a row's own bits are its last `width`: the padding comes first
    ]


def add_bit_strings(model: BinaryAdder, a: str, b: str) -> SumResult:
    """The model's sum of two MSB-first bit strings of any lengths; ValueError for anything but 0/1."""
    return add_bit_strings_batch(model, [(a, b)])[0]


# Examples for training and measuring adders. An example of length L holds two numbers below
# 2**(L-1) and their L-bit sum, LSB first: the operands' top column is (0, 0) and takes the final carry.


def mean_runs(size: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """(size, 1) mean run lengths, log-uniform in [1, n]: every scale, from single columns to one run."""
    return max(n, 1) ** torch.rand(size, 1, generator=generator)


def run_bits(size: int, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Operands (size, n) of 0/1, LSB first, made of runs of one kind of column.

    A column generates a carry (1, 1), kills it (0, 0) or propagates it (1, 0 or 0, 1). Runs come
    in every scale (mean_runs), so some examples hold carry chains as long as themselves, long runs
    of generates, or a chain that a kill cuts short: the cases where a loose carry drifts.
    """
    keep = torch.rand(size, n, generator=generator) < 1 - 1 / mean_runs(size, n, generator)
    kinds = torch.randint(0, 3, (size, n), generator=generator)  # 0 kill, 1 generate, 2 propagate
    for t in range(1, n):
        kinds[:, t] = torch.where(keep[:, t], kinds[:, t - 1], kinds[:, t])
    coin = runs_of_coins(size, n, generator)  # which operand a propagate sets
    propagate = kinds == 2
    return (kinds == 1) | (propagate & coin), (kinds == 1) | (propagate & ~coin)


def runs_of_coins(size: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """(size, n) bools in runs of every scale, as in run_bits; half the examples alternate instead,
    flipping where they would keep: from (1, 0) throughout to (1, 0), (0, 1), (1, 0), ..."""
    flip = torch.rand(size, n, generator=generator) < 1 / mean_runs(size, n, generator)
    flip ^= torch.rand(size, 1, generator=generator) < 0.5  # alternate
    start = torch.randint(0, 2, (size, 1), generator=generator)
    return ((flip.long().cumsum(1) + start) % 2).bool()


def ripple_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The sum bits (size, steps) of operands (size, steps), LSB first, by ripple-carry addition."""
    a, b = a.bool(), b.bool()
    carry = torch.zeros(len(a), dtype=torch.bool)
    bits = []
    for t in range(a.shape[1]):
        bits.append(a[:, t] ^ b[:, t] ^ carry)
        carry = (a[:, t] & b[:, t]) | (carry & (a[:, t] | b[:, t]))
    return torch.stack(bits, dim=1)


def draw_batch(
    length: int, size: int, run_share: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (size, length, 2) and sum bits (size, length), LSB first: uniform operands, then runs.

    The operands are below 2**(length-1): their top column is (0, 0) and holds the final carry.
    """
    runs = round(size * run_share)
    n = length - 1  # operand bits
    uniform = torch.randint(0, 2, (2, size - runs, n), generator=generator).bool()
    a, b = (torch.cat(pair) for pair in zip(uniform, run_bits(runs, n, generator), strict=True))
    a, b = (F.pad(v, (0, 1)) for v in (a, b))  # (size, length)
    return torch.stack([a, b], dim=2).float(), ripple_sum(a, b).float()


def random_pairs(length: int, size: int, rng: random.Random) -> list[tuple[int, int]]:
    """`size` pairs of uniform numbers below 2**(length-1): Python ints, any length."""
    return [(rng.getrandbits(length - 1), rng.getrandbits(length - 1)) for _ in range(size)]


def adversarial_pairs(length: int) -> list[tuple[int, int]]:
    """Fixed hard patterns below 2**(length-1): carry chains through every bit, alternating bits."""
    n = length - 1
    ones = (1 << n) - 1
    alternating = int(("10" * n)[:n] or "0", 2)  # 1010... MSB first
    other = ones ^ alternating  # 0101...
    broken = ones ^ (1 << (n // 2))  # a chain with one hole halfway
    top = 1 << (n - 1) if n else 0  # the operands' top bit
    return [
        (ones, 1),  # 2**n - 1 + 1: the carry ripples through every bit
        (1, ones),  # the same, with the operands swapped
        (ones, ones),  # a carry generated at every bit
        (ones, 0),  # every bit propagates (1, 0), no carry ever
        (0, 0),  # nothing at all
        (alternating, other),  # every bit propagates, alternating (1, 0), (0, 1): no carry ever
        (other, alternating),  # the same, the other way round
        (alternating, alternating),  # a carry generated at every other bit
        (other, other),  # the same, shifted by one
        (other | 1, alternating | 1),  # a carry in at bit 0, then an alternating full chain
        (ones >> 1, 1),  # a chain through all but the top bit
        (broken, 1),  # the chain stops halfway; the upper half propagates nothing
        (broken, (broken ^ ones) | 1),  # a chain to the hole, then a second chain from it
        (top, top),  # only the top bits carry
        (top, ones),  # a long propagate run, then a carry at the top
    ]
