import pytest
import torch

from training.model import ADDER_MODELS, DIGIT_MODELS, build_model, parameter_count, recurrent_layer


@pytest.mark.parametrize("name", DIGIT_MODELS)
def test_digit_model_maps_images_to_ten_logits(name):
    model = build_model("digits", DIGIT_MODELS[name])
    assert model(torch.rand(3, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("name", ADDER_MODELS)
def test_adder_emits_one_logit_per_step(name):
    model = build_model("adder", ADDER_MODELS[name])
    assert model(torch.randint(0, 2, (4, 17, 2)).float()).shape == (4, 17)


def test_bidirectional_head_sees_both_directions():
    forward, both = (build_model("digits", DIGIT_MODELS[n]) for n in ("mnist-lstm-128", "mnist-bilstm-128"))
    assert forward.head.in_features == 128 and both.head.in_features == 256


def test_stacked_model_uses_the_last_layer_only():
    # Changing the first layer's final state must not reach the head except through layer 2.
    model = build_model("digits", DIGIT_MODELS["mnist-rnn-128x2"])
    assert model.rnn.num_layers == 2 and model.head.in_features == 128


def test_build_model_accepts_a_card_dict():
    model = build_model("digits", {"cell": "GRU", "hidden_size": 16, "num_layers": 1, "bidirectional": False})
    assert parameter_count(model) == 3 * (28 * 16 + 16 * 16 + 2 * 16) + 16 * 10 + 10


def test_unknown_cell_is_a_value_error():
    with pytest.raises(ValueError, match="unknown cell 'TCN'"):
        recurrent_layer("TCN", 28, 8)


def test_unknown_task_is_a_value_error():
    with pytest.raises(ValueError, match="unknown task"):
        build_model("speech", DIGIT_MODELS["mnist-rnn-128"])


def test_lstm_forget_gate_starts_open():
    layer = recurrent_layer("LSTM", 2, 5)
    assert torch.all(layer.bias_ih_l0[5:10] == 1.0) and torch.all(layer.bias_ih_l0[:5] != 1.0)
