"""POST /classify through the app, with the real checkpoints and MNIST test digits as the oracle."""

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from app.preprocess import preprocess
from app.settings import Settings
from training.checkpoint import checkpoint_dirs, read_card


def upload(png: bytes, name: str = "digit.png") -> dict[str, tuple[str, bytes]]:
    return {"file": (name, png)}


def digit_cards(store):
    cards = [read_card(directory) for directory in checkpoint_dirs(store)]
    return [card for card in cards if card["task"] == "digits"]


def encode(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_classify_defaults_to_the_best_model_by_test_accuracy(client, models_dir, mnist_digits):
    best = max(digit_cards(models_dir), key=lambda card: card["metrics"]["test_accuracy"])
    response = client.post("/classify", files=upload(mnist_digits[0].png))
    assert response.status_code == 200
    assert response.json()["model"] == best["name"]


def test_classify_agrees_with_mnist_labels(client, mnist_digits):
    right = 0
    for digit in mnist_digits:
        answer = client.post("/classify", files=upload(digit.png)).json()
        right += answer["digit"] == digit.label
    assert right / len(mnist_digits) >= 0.95, f"{right} of {len(mnist_digits)} MNIST test digits right"


def test_classify_answers_with_probabilities_and_the_preview_the_model_saw(client, mnist_digits):
    digit = mnist_digits[0]
    answer = client.post("/classify", files=upload(digit.png)).json()
    assert set(answer) == {"model", "digit", "confidence", "probabilities", "preview"}
    probabilities = np.array(answer["probabilities"])
    assert probabilities.shape == (10,)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert answer["digit"] == int(probabilities.argmax())
    assert answer["confidence"] == pytest.approx(probabilities.max())
    header, data = answer["preview"].split(",", 1)
    assert header == "data:image/png;base64"
    preview = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"), dtype=np.float32) / 255
    assert preview.shape == (28, 28)
    seen = preprocess(digit.png, Settings().max_pixels)  # what the service fed the model
    assert np.abs(preview - seen).max() <= 1 / 255 + 1e-6


def test_classify_with_a_named_model(client, models_dir, mnist_digits):
    for card in digit_cards(models_dir):
        answer = client.post("/classify", params={"model": card["name"]}, files=upload(mnist_digits[1].png)).json()
        assert answer["model"] == card["name"]
        assert answer["digit"] == mnist_digits[1].label


def test_classify_all_answers_with_every_model_and_their_ensemble(client, models_dir, mnist_digits):
    answer = client.post("/classify", params={"model": "all"}, files=upload(mnist_digits[2].png)).json()
    assert set(answer) == {"preview", "ensemble", "results"}
    assert [result["model"] for result in answer["results"]] == sorted(c["name"] for c in digit_cards(models_dir))
    mean = np.mean([result["probabilities"] for result in answer["results"]], axis=0)
    assert answer["ensemble"]["model"] == "ensemble"
    assert np.allclose(answer["ensemble"]["probabilities"], mean, atol=1e-5)
    assert answer["ensemble"]["digit"] == mnist_digits[2].label


def test_classify_ensemble_is_the_mean_of_every_model(client, mnist_digits):
    png = mnist_digits[3].png
    everything = client.post("/classify", params={"model": "all"}, files=upload(png)).json()
    ensemble = client.post("/classify", params={"model": "ensemble"}, files=upload(png)).json()
    assert ensemble["model"] == "ensemble"
    assert ensemble["probabilities"] == everything["ensemble"]["probabilities"]
    assert ensemble["preview"] == everything["preview"]


@pytest.mark.parametrize("format", ["JPEG", "GIF", "BMP", "WEBP"])
def test_classify_reads_every_format_by_content_not_name(client, mnist_digits, format):
    digit = mnist_digits[4]
    data = encode(Image.fromarray((digit.pixels * 255).astype(np.uint8)), format)
    answer = client.post("/classify", files=upload(data, name="misnamed.txt"))
    assert answer.status_code == 200, answer.json()
    assert answer.json()["digit"] == digit.label


def test_classify_rejects_text_file(client):
    response = client.post("/classify", files=upload(b"seven, in words", name="seven.png"))
    assert response.status_code == 415
    assert "PNG" in response.json()["detail"]


def test_classify_rejects_corrupt_png(client, mnist_digits):
    truncated = mnist_digits[0].png[:40]  # a PNG signature and header, then nothing
    response = client.post("/classify", files=upload(truncated))
    assert response.status_code == 400
    assert response.json()["detail"]


def test_classify_rejects_image_without_ink(client):
    blank = encode(Image.new("L", (64, 64), 255), "PNG")
    response = client.post("/classify", files=upload(blank))
    assert response.status_code == 422
    assert response.json()["detail"]


def test_classify_rejects_unknown_model(client, mnist_digits):
    response = client.post("/classify", params={"model": "mnist-cnn"}, files=upload(mnist_digits[0].png))
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "mnist-cnn" in detail and "ensemble" in detail and "all" in detail


def test_classify_rejects_an_adder_as_model(client, mnist_digits):
    response = client.post("/classify", params={"model": "adder-lstm-10"}, files=upload(mnist_digits[0].png))
    assert response.status_code == 404


def test_classify_rejects_missing_file(client):
    response = client.post("/classify", data={"image": "not a file"})
    assert response.status_code == 422
    assert "file" in response.json()["detail"]


def test_classify_rejects_json_body(client):
    response = client.post("/classify", json={"file": "aGVsbG8="})
    assert response.status_code == 422
    assert "file" in response.json()["detail"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels but carries almost no data: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def test_classify_rejects_too_many_pixels_before_decoding(client):
    bomb = png_header_only(100_000, 100_000)  # 10 gigapixels declared in 100 bytes
    response = client.post("/classify", files=upload(bomb))
    assert response.status_code == 413
    assert "pixels" in response.json()["detail"]


def test_classify_rejects_upload_over_the_byte_cap(client):
    cap = Settings().max_upload_bytes
    response = client.post("/classify", files=upload(b"\x89PNG\r\n\x1a\n" + bytes(cap)))
    assert response.status_code == 413
    assert str(cap) in response.json()["detail"]
