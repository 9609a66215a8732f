"""/add with "steps": true: the probability, hidden and cell state after every bit, and the unit
that tracks the carry; checked against the plain answer and the carries of Python's addition."""

import json

import numpy as np
import pytest

from app.settings import Settings


def test_add_steps_give_each_bits_probability_and_both_states(adder_client):
    for name, width in (("adder-lstm-3", 3), ("adder-lstm-10", 10)):
        body = {"a": "1011011", "b": "111", "model": name, "steps": True}
        answer = adder_client.post("/add", json=body).json()
        steps = answer["steps"]
        assert len(steps) == answer["bits"] == 8
        assert all(len(step["hidden"]) == len(step["cell"]) == width for step in steps)
        by_step = [step["probability"] for step in steps]
        assert np.abs(np.array(by_step[::-1]) - np.array(answer["probabilities"])).max() <= 1e-5  # LSB first
        assert all(-1 <= h <= 1 for step in steps for h in step["hidden"])  # h = o * tanh(c)


def carries(a: str, b: str) -> list[int]:
    """The carry out of each column of a + b, LSB first: the oracle for the carry unit."""
    out, carry = [], 0
    width = max(len(a), len(b)) + 1
    for x, y in zip(a.zfill(width)[::-1], b.zfill(width)[::-1], strict=True):
        carry = (int(x) + int(y) + carry) // 2
        out.append(carry)
    return out


def test_add_steps_point_out_the_carry_unit_or_say_none_tracks_it(adder_client):
    """The unit the answer names must follow the carries of this very sum, in the states it returns."""
    rng = np.random.default_rng(3)
    a, b = ("".join(map(str, rng.integers(0, 2, 64))) for _ in range(2))
    answer = adder_client.post("/add", json={"a": a, "b": b, "steps": True}).json()
    unit, note = answer["carry_unit"], answer["carry_note"]
    if unit is None:
        assert "no unit tracks the carry" in note
    else:
        assert abs(unit["correlation"]) >= 0.8 and unit["state"] in ("hidden", "cell")
        assert f"unit {unit['unit']}" in note
        states = [step[unit["state"]][unit["unit"]] for step in answer["steps"]]
        tracked = np.corrcoef(states, carries(a, b)[: len(states)])[0, 1]
        assert abs(tracked) >= 0.8 and np.sign(tracked) == np.sign(unit["correlation"]), tracked
    plain = adder_client.post("/add", json={"a": "1", "b": "1"}).json()
    assert not {"steps", "carry_unit", "carry_note"} & plain.keys()


def test_add_rejects_steps_over_the_cap(adder_client):
    cap = Settings().max_step_bits
    response = adder_client.post("/add", json={"a": "1" * (cap + 1), "b": "1", "steps": True})
    assert response.status_code in (413, 422)
    detail = response.json()["detail"]
    assert "RNNLAB_MAX_STEP_BITS" in detail and str(cap) in detail
    assert adder_client.post("/add", json={"a": "1" * (cap + 1), "b": "1"}).status_code == 200  # no steps: fine
    assert adder_client.post("/add", json={"a": "1" * cap, "b": "1", "steps": True}).status_code == 200


@pytest.mark.parametrize("value", ["maybe", 2, [True], None])
def test_add_rejects_a_malformed_steps_flag(adder_client, value):
    body = json.dumps({"a": "1", "b": "1", "steps": value})
    response = adder_client.post("/add", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "steps" in response.json()["detail"]
