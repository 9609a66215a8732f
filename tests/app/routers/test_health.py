"""Liveness and readiness: ready means every checkpoint in the store is loaded."""

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from training.checkpoint import checkpoint_dirs


def test_live_answers_200(client):
    assert client.get("/health/live").json()["status"] == "live"


def test_ready_reports_every_model_loaded(client, models_dir):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "models": len(checkpoint_dirs(models_dir))}


def test_ready_is_503_before_the_lifespan_loads_the_models(models_dir):
    client = TestClient(create_app(Settings(models_dir=models_dir)))  # no `with`: the lifespan never runs
    assert client.get("/health/live").status_code == 200
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "not loaded" in response.json()["detail"]
    assert client.get("/models").status_code == 503


def test_ready_is_503_again_after_shutdown(models_dir):
    with TestClient(create_app(Settings(models_dir=models_dir))) as client:
        assert client.get("/health/ready").status_code == 200
    assert client.get("/health/ready").status_code == 503
