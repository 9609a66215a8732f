import json

import pytest
import torch

from training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from training.model import build_model
from training.zoo import DIGIT_ZOO


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_model("digits", DIGIT_ZOO["mnist-gru-128"].config)
    save_checkpoint(model, {"name": "mnist-gru-128", "task": "digits", "metrics": {}}, tmp_path / "ckpt")
    return model, tmp_path / "ckpt"


def test_round_trip_gives_the_same_outputs(saved):
    model, directory = saved
    loaded, card = load_checkpoint(directory)
    before, after = model.state_dict(), loaded.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    x = torch.rand(2, 28, 28)  # same weights; the kernels may still round differently
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), loaded(x), rtol=0, atol=1e-6)
    assert card["architecture"]["cell"] == "GRU" and card["parameters"] == sum(p.numel() for p in model.parameters())


def test_loaded_model_is_frozen_and_in_eval_mode(saved):
    loaded, _ = load_checkpoint(saved[1])
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


def test_load_refuses_tampered_weights(saved):
    weights = saved[1] / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # flip the last byte of the last tensor
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(saved[1])


def test_load_refuses_a_card_for_another_architecture(saved):
    card_path = saved[1] / "card.json"
    card = json.loads(card_path.read_text())
    card["architecture"]["hidden_size"] = 64
    card_path.write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(saved[1])


def test_load_refuses_a_missing_card(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read card"):
        load_checkpoint(tmp_path)


def test_checkpoint_holds_no_pickle(saved):
    # safetensors starts with an 8-byte little-endian header length, then JSON; pickles start with 0x80.
    head = (saved[1] / "model.safetensors").read_bytes()[:9]
    assert head[0] != 0x80 and head[8:9] == b"{"
