"""The report's reading sections, on a store of untrained checkpoints and a fake MNIST test set."""

import pytest

from training.checkpoint import save_checkpoint
from training.model import build_model
from training.report import adder_reading, digit_reading
from training.zoo import ADDER_ZOO, DIGIT_ZOO


@pytest.fixture
def store(tmp_path):
    for name in ("mnist-rnn-128", "mnist-birnn-128"):
        save_checkpoint(
            build_model("digits", DIGIT_ZOO[name].config), {"name": name, "task": "digits"}, tmp_path / name
        )
    name = "adder-lstm-3"
    save_checkpoint(build_model("adder", ADDER_ZOO[name].config), {"name": name, "task": "adder"}, tmp_path / name)
    (tmp_path / "plots").mkdir()
    return tmp_path


def test_digit_reading_draws_the_figure_and_a_row_per_model(store, fake_mnist_dir):
    lines = digit_reading([store / "mnist-birnn-128", store / "mnist-rnn-128"], store / "plots", fake_mnist_dir)
    assert (store / "plots" / "digits_by_row.png").read_bytes().startswith(b"\x89PNG")
    rows = [line for line in lines if line.startswith("| mnist-")]
    assert [row.split(" | ")[0] for row in rows] == ["| mnist-birnn-128", "| mnist-rnn-128"]
    for row in rows:
        final, sure = (float(cell) if cell != "nan" else None for cell in row.split(" | ")[1:3])
        assert 1 <= final <= 28 and (sure is None or final <= sure <= 28)


def test_adder_reading_names_the_carry_unit(store):
    lines = adder_reading([store / "adder-lstm-3"], store / "plots")
    assert (store / "plots" / "adders_carry_unit.png").read_bytes().startswith(b"\x89PNG")
    (line,) = [line for line in lines if line.startswith("- adder-lstm-3: ")]
    assert " unit " in line and "r = " in line
