"""POST /add through the app, with the real adders, checked against Python's integers."""

import random
import time

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from training.checkpoint import checkpoint_dirs, read_card

MAX_BITS = Settings().max_bits


def random_bits(rng: random.Random, length: int) -> str:
    return "1" + "".join(rng.choice("01") for _ in range(length - 1)) if length > 1 else rng.choice("01")


def oracle(a: str, b: str) -> str:
    return format(int(a, 2) + int(b, 2), "b").zfill(max(len(a), len(b)) + 1)


def adder_cards(store):
    return [card for card in map(read_card, checkpoint_dirs(store)) if card["task"] == "adder"]


def test_add_answers_the_docs_example(adder_client):
    answer = adder_client.post("/add", json={"a": "1011", "b": "110"}).json()
    assert answer["sum"] == answer["expected"] == "10001"  # 11 + 6 = 17
    assert answer["correct"] is True
    assert answer["bits"] == 5 and answer["wrong_bits"] == 0
    assert len(answer["probabilities"]) == 5
    assert all(0 <= p <= 1 for p in answer["probabilities"])
    assert [p > 0.5 for p in answer["probabilities"]] == [bit == "1" for bit in answer["sum"]]


def test_add_matches_python_on_short_random_sums(adder_client):
    rng = random.Random(0)
    for _ in range(50):
        a, b = random_bits(rng, rng.randint(1, 20)), random_bits(rng, rng.randint(1, 20))
        answer = adder_client.post("/add", json={"a": a, "b": b}).json()
        assert answer["expected"] == oracle(a, b)
        assert answer["sum"] == answer["expected"], f"{a} + {b}"


@pytest.mark.parametrize("length", [100, 1_000, 5_000, MAX_BITS])
def test_add_matches_python_on_long_random_sums(adder_client, length):
    rng = random.Random(length)
    a, b = random_bits(rng, length), random_bits(rng, rng.randint(1, length))
    answer = adder_client.post("/add", json={"a": a, "b": b}).json()
    assert answer["bits"] == length + 1
    assert answer["expected"] == oracle(a, b)
    assert answer["correct"], f"{answer['wrong_bits']} wrong bits of {answer['bits']}"


def test_add_matches_python_on_the_longest_carry_chain(adder_client):
    a, b = "1" * MAX_BITS, "1"  # 2**10000 - 1 + 1: the carry ripples through every bit
    answer = adder_client.post("/add", json={"a": a, "b": b}).json()
    assert answer["expected"] == "1" + "0" * MAX_BITS
    assert answer["correct"], f"{answer['wrong_bits']} wrong bits of {answer['bits']}"


def test_add_answers_the_longest_sum_in_well_under_a_second(adder_client):
    """The longest sum RNNLAB_MAX_BITS allows answers within a second, even on a busy machine: the
    adder runs on RNNLAB_TORCH_THREADS threads, not on as many as OpenMP would start."""
    adder_client.post("/add", json={"a": "1", "b": "1"})  # warm up: the first sum pays for the first pass
    started = time.perf_counter()
    answer = adder_client.post("/add", json={"a": "10" * (MAX_BITS // 2), "b": "1" * MAX_BITS})
    seconds = time.perf_counter() - started
    assert answer.status_code == 200
    assert seconds < 1.0, f"a {MAX_BITS}-bit sum took {seconds:.2f} s"


def test_add_defaults_to_the_best_adder(adder_client, models_dir):
    exact = {card["name"]: card["metrics"]["exact_accuracy"] for card in adder_cards(models_dir)}
    answer = adder_client.post("/add", json={"a": "1", "b": "1"}).json()
    assert exact[answer["model"]] == max(exact.values())


def test_add_with_every_named_adder_reports_the_exact_sum(adder_client, models_dir):
    for card in adder_cards(models_dir):
        answer = adder_client.post("/add", json={"a": "110101", "b": "1011", "model": card["name"]}).json()
        assert answer["model"] == card["name"]
        assert answer["expected"] == oracle("110101", "1011")
        assert answer["correct"] == (answer["sum"] == answer["expected"])


@pytest.mark.parametrize("bits", ["102", "1 0", "0b101", "１０", "-1", "1.0"])
def test_add_rejects_non_binary(client, bits):
    response = client.post("/add", json={"a": bits, "b": "1"})
    assert response.status_code == 422
    assert "body.a" in response.json()["detail"] and "[01]" in response.json()["detail"]


def test_add_rejects_numbers_instead_of_strings(client):
    response = client.post("/add", json={"a": 1011, "b": "1"})
    assert response.status_code == 422


def test_add_rejects_operand_over_max_bits(client):
    response = client.post("/add", json={"a": "1" * (MAX_BITS + 1), "b": "1"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"at most {MAX_BITS}" in detail and "RNNLAB_MAX_BITS" in detail
    assert "1" * 100 not in response.text  # the long input is not echoed back


def test_add_honours_the_max_bits_setting(models_dir):
    with TestClient(create_app(Settings(models_dir=models_dir, max_bits=8))) as client:
        response = client.post("/add", json={"a": "1", "b": "1" * 9})
        assert response.status_code == 422
        assert "body.b: has 9 bits; at most 8" in response.json()["detail"]


def test_add_rejects_invalid_json(client):
    response = client.post("/add", content=b'{"a": "1", ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_add_rejects_a_digit_model(client, models_dir):
    digit = next(card["name"] for card in map(read_card, checkpoint_dirs(models_dir)) if card["task"] == "digits")
    response = client.post("/add", json={"a": "1", "b": "1", "model": digit})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"a": "1", "b": ""}, 422, "body.b"),
        ({"a": "1"}, 422, "body.b: Field required"),
        ({"a": "1", "b": "1", "carry": "0"}, 422, "body.carry: Extra inputs are not permitted"),
        ({"a": "1", "b": "1", "model": "adder-gpt"}, 404, "adder-gpt"),
    ],
    ids=["empty operand", "missing operand", "extra field", "unknown model"],
)
def test_add_rejects_bad_bodies(client, body, status, expected):
    response = client.post("/add", json=body)
    assert response.status_code == status
    assert expected in response.json()["detail"]
