"""Every error is JSON {"detail": ...}; a true bug is a logged JSON 500, never a bare traceback."""

import logging

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_unknown_route_is_json_404(client):
    response = client.get("/classify/now")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_wrong_method_is_json_405(client):
    response = client.get("/add")
    assert response.status_code == 405
    assert response.json()["detail"]


def test_validation_errors_flatten_into_a_readable_detail(client):
    response = client.post("/add", json={"a": "2", "b": ""})
    body = response.json()
    assert response.status_code == 422
    assert isinstance(body["detail"], str)
    assert "body.a" in body["detail"] and "body.b" in body["detail"]
    assert [error["loc"] for error in body["errors"]] == [["body", "a"], ["body", "b"]]
    assert all("input" not in error for error in body["errors"])


def test_a_bug_is_a_logged_json_500(models_dir, caplog):
    app = create_app(Settings(models_dir=models_dir))

    @app.get("/bug")
    def bug() -> None:
        raise ZeroDivisionError("a bug, not bad input")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/bug")
    assert response.status_code == 500
    assert "bug in rnnlab" in response.json()["detail"]
    assert "a bug, not bad input" not in response.text  # internals stay in the log
    assert any("unhandled error on GET /bug" in record.getMessage() for record in caplog.records)
