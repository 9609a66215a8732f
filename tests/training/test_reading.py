import numpy as np
import pytest
import torch

from training.model import build_model
from training.reading import (
    CARRY_TRACKED,
    CarryTrace,
    CarryUnit,
    best_unit,
    carries,
    carry_trace,
    correlations,
    find_carry_unit,
    rows_needed,
    settled_from,
    true_class_curve,
)
from training.zoo import ADDER_ZOO


def test_carries_match_integer_addition():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 64), rng.integers(0, 2, 64)
    as_int = [int("".join(map(str, bits[::-1])), 2) for bits in (a, b)]
    low_sums = [(as_int[0] % 2 ** (t + 1)) + (as_int[1] % 2 ** (t + 1)) for t in range(64)]
    expected = [s >> (t + 1) for t, s in enumerate(low_sums)]  # the carry out of column t
    assert carries(a, b).tolist() == expected


def test_correlations_find_a_copy_of_the_target_and_ignore_constant_units():
    target = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=float)
    values = np.stack([target * 3 - 1, np.ones(8), -target], axis=1)
    assert correlations(values, target).round(6).tolist() == [1.0, 0.0, -1.0]


def test_best_unit_takes_the_strongest_of_either_sign_and_state():
    carry = np.array([0, 1, 0, 1, 1, 0], dtype=np.int64)
    noise = np.array([[0.1], [0.3], [0.2], [0.1], [0.2], [0.3]])
    trace = CarryTrace(carry, np.hstack([noise, noise]), np.hstack([noise, -carry[:, None] * 2.0]))
    assert best_unit(trace) == CarryUnit(1, "cell", -1.0)


def test_weak_correlation_does_not_track():
    assert not CarryUnit(0, "hidden", CARRY_TRACKED - 0.01).tracks
    assert CarryUnit(0, "cell", -CARRY_TRACKED).tracks


def test_carry_unit_is_found_from_the_weights_and_seeded():
    model = build_model("adder", ADDER_ZOO["adder-lstm-5-bce"].config).eval()
    trace = carry_trace(model, bits=200, seed=1)
    assert trace.hidden.shape == trace.cell.shape == (200, 5) and trace.carry.shape == (200,)
    assert find_carry_unit(model, 200, 1) == find_carry_unit(model, 200, 1)


def test_settled_from_counts_the_rows_that_hold_to_the_end():
    holds = torch.tensor([[True, False, True, True], [False, False, False, True], [True] * 4, [False] * 4])
    assert settled_from(holds).tolist() == [3, 4, 1, 5]


def test_rows_needed_on_hand_made_steps():
    # Image 1: answer 2 from row 2, sure from row 3. Image 2: answer 5 throughout, never sure.
    probabilities = torch.full((2, 3, 10), 0.0)
    probabilities[0, 0, 7], probabilities[0, 1, 2], probabilities[0, 2, 2] = 0.6, 0.5, 0.95
    probabilities[1, :, 5] = 0.4
    needed = rows_needed(probabilities)
    assert needed.final == pytest.approx((2 + 1) / 2)
    assert needed.sure == 3 and needed.never_sure == 0.5


def test_true_class_curve_is_the_mean_of_the_true_class():
    probabilities = torch.zeros(2, 3, 10)
    probabilities[0, :, 4] = torch.tensor([0.1, 0.5, 1.0])
    probabilities[1, :, 1] = torch.tensor([0.3, 0.3, 0.0])
    curve = true_class_curve(probabilities, torch.tensor([4, 1]))
    assert np.allclose(curve, [0.2, 0.4, 0.5])
