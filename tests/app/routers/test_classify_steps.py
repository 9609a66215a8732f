"""/classify?steps=true: the answer after every row, 28 x 10 a model, and with &hidden=true one
model's hidden states; checked against the plain answers and the model's own head."""

import numpy as np
import pytest
import torch

from app.predict import classify_batch

BIDIRECTIONAL = {"mnist-birnn-128", "mnist-bilstm-128"}
ROUNDING = 1e-6 + 1e-9  # responses round probabilities to 6 decimals


def upload(png: bytes) -> dict[str, tuple[str, bytes]]:
    return {"file": ("digit.png", png)}


def test_classify_steps_for_every_model_and_the_ensemble(client, mnist_digits):
    response = client.post("/classify?model=all&steps=true", files=upload(mnist_digits[0].png))
    assert response.status_code == 200
    assert len(response.content) < 64 * 1024
    answer = response.json()
    for prediction in [*answer["results"], answer["ensemble"]]:
        steps = np.array(prediction["steps"])
        assert steps.shape == (28, 10)
        assert np.allclose(steps.sum(axis=1), 1, atol=1e-4)
        assert steps[-1].tolist() == prediction["probabilities"]  # the answer is the last step, exactly
    mean = np.mean([result["steps"] for result in answer["results"]], axis=0)
    assert np.abs(np.array(answer["ensemble"]["steps"]) - mean).max() <= ROUNDING


@pytest.mark.parametrize("digit", [0, 7, 21])
def test_last_step_equals_the_plain_answer_for_every_model(client, mnist_digits, digit):
    files = upload(mnist_digits[digit].png)
    stepped = client.post("/classify?model=all&steps=true", files=files).json()
    plain = client.post("/classify?model=all", files=files).json()
    for with_steps, without in zip(stepped["results"], plain["results"], strict=True):
        assert with_steps["model"] == without["model"] and "steps" not in without
        gap = np.abs(np.array(with_steps["steps"][-1]) - np.array(without["probabilities"])).max()
        assert gap <= (ROUNDING if with_steps["model"] not in BIDIRECTIONAL else 1e-5), with_steps["model"]
        assert with_steps["digit"] == without["digit"]


def test_one_models_steps(client, mnist_digits):
    answer = client.post("/classify?model=mnist-gru-128&steps=1", files=upload(mnist_digits[1].png)).json()
    assert answer["model"] == "mnist-gru-128" and np.array(answer["steps"]).shape == (28, 10)
    assert client.post("/classify?steps=false", files=upload(mnist_digits[1].png)).json().keys() == {
        "model", "digit", "confidence", "probabilities", "preview"
    }  # fmt: skip


@pytest.mark.parametrize("value", ["maybe", "", "2", "truee"])
def test_classify_rejects_a_malformed_steps_flag(client, mnist_digits, value):
    response = client.post(f"/classify?steps={value}", files=upload(mnist_digits[0].png))
    assert response.status_code == 422
    assert "steps" in response.json()["detail"]


def test_rows_after_t_cannot_change_step_t(registry, mnist_digits):
    models = registry.digit_models("all")
    image = mnist_digits[3].pixels
    rng = np.random.default_rng(0)
    for t in (5, 14, 27):
        changed = image.copy()
        changed[t:] = rng.random((28 - t, 28), dtype=np.float32)
        before, after = classify_batch(models, np.stack([image, changed]), steps=True)
        assert np.array_equal(before.steps[:, :t], after.steps[:, :t]) or np.allclose(
            before.steps[:, :t], after.steps[:, :t], rtol=0, atol=1e-6
        )
        assert not np.allclose(before.steps[:, t:], after.steps[:, t:], atol=1e-3)


@pytest.mark.parametrize(("name", "width"), [("mnist-gru-128", 128), ("mnist-rnn-256", 256), ("mnist-bilstm-128", 256)])
def test_hidden_states_are_what_the_head_reads_at_each_step(client, registry, mnist_digits, name, width):
    response = client.post(f"/classify?model={name}&steps=true&hidden=true", files=upload(mnist_digits[2].png))
    assert response.status_code == 200 and len(response.content) < 64 * 1024
    answer = response.json()
    hidden = torch.tensor(answer["hidden"])
    assert hidden.shape == (28, width)
    head = registry.get(name).module.head
    with torch.inference_mode():
        again = torch.softmax(head(hidden), dim=-1)
    assert torch.allclose(again, torch.tensor(answer["steps"]), atol=0.02)  # from states rounded to 3 decimals


@pytest.mark.parametrize("query", ["model=mnist-gru-128&hidden=true", "model=all&steps=true&hidden=true"])
def test_hidden_states_need_steps_and_one_model(client, mnist_digits, query):
    response = client.post(f"/classify?{query}", files=upload(mnist_digits[2].png))
    assert response.status_code == 422 and "hidden" in response.json()["detail"]
    assert "hidden" not in client.post("/classify?steps=true", files=upload(mnist_digits[2].png)).json()
