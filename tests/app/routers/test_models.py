"""GET /models, /models/{name} and the cards' plots, against the cards on disk."""

import pytest

from training.checkpoint import checkpoint_dirs, read_card


@pytest.fixture(scope="module")
def cards(models_dir):
    return {card["name"]: card for card in map(read_card, checkpoint_dirs(models_dir))}


def test_models_lists_every_checkpoint_with_its_headline(client, cards):
    listing = client.get("/models").json()
    assert [model["name"] for model in listing] == sorted(cards)
    for model in listing:
        card = cards[model["name"]]
        assert model["task"] == card["task"]
        assert model["parameters"] == card["parameters"]
        assert model["architecture"] == card["architecture"]
        assert model["sha256"] == card["sha256"]
        metric = "test_accuracy" if card["task"] == "digits" else "exact_accuracy"
        assert model["metric"] == {"name": metric, "value": card["metrics"][metric]}


def test_models_marks_one_default_per_task(client, cards):
    listing = client.get("/models").json()
    defaults = [model for model in listing if model["default"]]
    assert sorted(model["task"] for model in defaults) == sorted({card["task"] for card in cards.values()})
    best_digit = max((c for c in cards.values() if c["task"] == "digits"), key=lambda c: c["metrics"]["test_accuracy"])
    assert best_digit["name"] in {model["name"] for model in defaults}


def test_model_card_is_the_card_without_history(client, cards, models_dir):
    for name, card in cards.items():
        answer = client.get(f"/models/{name}").json()
        assert "history" not in answer
        assert {key: value for key, value in answer.items() if key != "plots"} == {
            key: value for key, value in card.items() if key != "history"
        }
        assert answer["plots"] == sorted(path.name for path in (models_dir / name).glob("*.png"))


def test_model_card_rejects_unknown_model(client):
    response = client.get("/models/mnist-transformer")
    assert response.status_code == 404
    assert "mnist-transformer" in response.json()["detail"]


def plotted(client, cards):
    for name in cards:
        plots = client.get(f"/models/{name}").json()["plots"]
        if plots:
            return name, plots
    pytest.skip("no checkpoint in the store has plots")


def test_model_plot_serves_the_png_file(client, cards, models_dir):
    name, plots = plotted(client, cards)
    for plot in plots:
        response = client.get(f"/models/{name}/plots/{plot}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert response.content == (models_dir / name / plot).read_bytes()


def test_model_plot_rejects_unknown_plot(client, cards):
    name, _ = plotted(client, cards)
    response = client.get(f"/models/{name}/plots/accuracy-by-moon-phase.png")
    assert response.status_code == 404
    assert "has no plot" in response.json()["detail"]


TRAVERSALS = [
    "card.json", "model.safetensors", "..png", ".hidden.png", "..%2Fcard.json", "%2E%2E%2F%2E%2E%2Fpyproject.toml"
]  # fmt: skip


@pytest.mark.parametrize("file", TRAVERSALS)
def test_model_plot_rejects_path_traversal_and_non_png_files(client, cards, file):
    name = next(iter(cards))
    response = client.get(f"/models/{name}/plots/{file}")
    assert response.status_code in (404, 422)
    assert "detail" in response.json()
    assert b"sha256" not in response.content and b"[build-system]" not in response.content
