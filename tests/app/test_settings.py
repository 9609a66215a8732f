"""Settings: every limit read from RNNLAB_* environment variables."""

import pytest
from pydantic import ValidationError

from app.settings import DEFAULT_MODELS_DIR, Settings


def test_settings_default_to_the_repo_store_and_documented_limits(monkeypatch):
    for name in ("MODELS_DIR", "MAX_UPLOAD_BYTES", "MAX_PIXELS", "MAX_BITS", "TORCH_THREADS"):
        monkeypatch.delenv(f"RNNLAB_{name}", raising=False)
    settings = Settings()
    assert settings.models_dir == DEFAULT_MODELS_DIR
    assert (DEFAULT_MODELS_DIR.parent / "app" / "settings.py").is_file()  # models_store/ beside app/
    assert (settings.max_upload_bytes, settings.max_pixels, settings.max_bits) == (10 * 1024 * 1024, 40_000_000, 10_000)


def test_settings_read_the_rnnlab_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("RNNLAB_MAX_BITS", "64")
    monkeypatch.setenv("RNNLAB_DEFAULT_DIGIT_MODEL", "mnist-gru-128")
    settings = Settings()
    assert (settings.models_dir, settings.max_bits, settings.default_digit_model) == (tmp_path, 64, "mnist-gru-128")


@pytest.mark.parametrize("name", ["MAX_UPLOAD_BYTES", "MAX_PIXELS", "MAX_BITS", "TORCH_THREADS"])
def test_settings_reject_limits_below_one(monkeypatch, name):
    monkeypatch.setenv(f"RNNLAB_{name}", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_max_pixels_admits_at_least_one_mnist_image(monkeypatch):
    """An upload already in MNIST's form must pass the cap: it cannot be below 784."""
    monkeypatch.setenv("RNNLAB_MAX_PIXELS", "783")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("RNNLAB_MAX_PIXELS", "784")
    assert Settings().max_pixels == 784


def test_batching_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RNNLAB_MICRO_BATCHING", "false")
    monkeypatch.setenv("RNNLAB_BATCH_WAIT_MS", "0.5")
    monkeypatch.setenv("RNNLAB_MAX_BATCH", "16")
    settings = Settings()
    assert (settings.micro_batching, settings.batch_wait_ms, settings.max_batch) == (False, 0.5, 16)


@pytest.mark.parametrize(("name", "value"), [("MAX_BATCH", "0"), ("BATCH_WAIT_MS", "-1"), ("MICRO_BATCHING", "maybe")])
def test_batching_settings_reject_nonsense(monkeypatch, name, value):
    monkeypatch.setenv(f"RNNLAB_{name}", value)
    with pytest.raises(ValueError, match=name.lower()):
        Settings()
