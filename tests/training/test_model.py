import pytest
import torch

from training.model import build_model, parameter_count, recurrent_layer
from training.zoo import ADDER_ZOO, DIGIT_ZOO


@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_digit_model_maps_images_to_ten_logits(name):
    model = build_model("digits", DIGIT_ZOO[name].config)
    assert model(torch.rand(3, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("name", ADDER_ZOO)
def test_adder_emits_one_logit_per_step(name):
    model = build_model("adder", ADDER_ZOO[name].config)
    assert model(torch.randint(0, 2, (4, 17, 2)).float()).shape == (4, 17)


def test_bidirectional_head_sees_both_directions():
    forward, both = (build_model("digits", DIGIT_ZOO[n].config) for n in ("mnist-lstm-128", "mnist-bilstm-128"))
    assert forward.head.in_features == 128 and both.head.in_features == 256


def test_stacked_model_uses_the_last_layer_only():
    # Changing the first layer's final state must not reach the head except through layer 2.
    model = build_model("digits", DIGIT_ZOO["mnist-rnn-128x2"].config)
    assert model.rnn.num_layers == 2 and model.head.in_features == 128


def test_build_model_accepts_a_card_dict():
    model = build_model("digits", {"cell": "GRU", "hidden_size": 16, "num_layers": 1, "bidirectional": False})
    assert parameter_count(model) == 3 * (28 * 16 + 16 * 16 + 2 * 16) + 16 * 10 + 10


def test_unknown_cell_is_a_value_error():
    with pytest.raises(ValueError, match="unknown cell 'TCN'"):
        recurrent_layer("TCN", 28, 8)


def test_unknown_task_is_a_value_error():
    with pytest.raises(ValueError, match="unknown task"):
        build_model("speech", DIGIT_ZOO["mnist-rnn-128"].config)


def test_lstm_forget_gate_starts_open():
    layer = recurrent_layer("LSTM", 2, 5)
    assert torch.all(layer.bias_ih_l0[5:10] == 1.0) and torch.all(layer.bias_ih_l0[:5] != 1.0)


DIRECTIONS = {name: config.bidirectional for name, config in ((n, e.config) for n, e in DIGIT_ZOO.items())}


@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_last_step_is_the_answer(name):
    model = build_model("digits", DIGIT_ZOO[name].config).eval()
    images = torch.rand(4, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        steps, answer = model.step_logits(images), model(images)
    assert steps.shape == (4, 28, 10)
    if not DIRECTIONS[name]:
        assert torch.equal(steps[:, -1], answer)  # one path: the answer is the last step
    torch.testing.assert_close(steps[:, -1], answer, rtol=0, atol=1e-5)
    torch.testing.assert_close(steps[:, -1].softmax(1), answer.softmax(1), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", DIGIT_ZOO)
def test_rows_after_t_cannot_change_step_t(name):
    model = build_model("digits", DIGIT_ZOO[name].config).eval()
    generator = torch.Generator().manual_seed(2)
    images = torch.rand(3, 28, 28, generator=generator)
    for t in (1, 10, 27):
        changed = images.clone()
        changed[:, t:] = torch.rand(3, 28 - t, 28, generator=generator)
        with torch.no_grad():
            before, after = model.step_logits(images), model.step_logits(changed)
        assert torch.equal(before[:, :t], after[:, :t]) or torch.allclose(before[:, :t], after[:, :t], atol=1e-6)
        assert not torch.allclose(before[:, t:], after[:, t:], atol=1e-3)  # the change is seen from row t + 1


@pytest.mark.parametrize("name", [n for n, both in DIRECTIONS.items() if both])
def test_bidirectional_step_t_is_the_answer_to_the_first_t_rows(name):
    model = build_model("digits", DIGIT_ZOO[name].config).eval()
    images = torch.rand(2, 28, 28, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        steps = model.step_logits(images)
        alone = torch.stack([model(images[:, :t]) for t in range(1, 29)], dim=1)
    torch.testing.assert_close(steps, alone, rtol=0, atol=1e-5)


@pytest.mark.parametrize("size", [3, 10])
def test_stepped_adder_matches_the_fused_pass(size):
    model = build_model("adder", ADDER_ZOO[f"adder-lstm-{size}"].config).eval()
    bits = torch.randint(0, 2, (4, 50, 2), generator=torch.Generator().manual_seed(4)).float()
    with torch.no_grad():
        steps = model.steps(bits)
        outputs, (_, c) = model.rnn(bits)
        fused = model(bits)
    assert steps.hidden.shape == steps.cell.shape == (4, 50, size)
    assert torch.equal(steps.logits, fused) and torch.equal(steps.hidden, outputs)  # the fused pass itself
    torch.testing.assert_close(steps.cell[:, -1], c[0], rtol=1e-5, atol=1e-5)  # nn.LSTM's only cell state
    state = (torch.zeros(1, 4, size), torch.zeros(1, 4, size))
    for t in range(50):  # nn.LSTM one step at a time, carrying (h, c): every step's cell state
        _, state = model.rnn(bits[:, t : t + 1], state)
        torch.testing.assert_close(steps.hidden[:, t], state[0][0], rtol=0, atol=1e-5)
        torch.testing.assert_close(steps.cell[:, t], state[1][0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers", [1, 2])
def test_bidirectional_steps_of_any_cell_and_depth_read_the_first_t_rows_alone(cell, layers):
    model = build_model("digits", {"cell": cell, "hidden_size": 16, "num_layers": layers, "bidirectional": True}).eval()
    images = torch.rand(2, 28, 28, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        steps = model.step_logits(images)
        alone = torch.stack([model(images[:, :t]) for t in range(1, 29)], dim=1)
    torch.testing.assert_close(steps, alone, rtol=0, atol=1e-5)
