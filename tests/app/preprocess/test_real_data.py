"""app.preprocess on real data, where ../shared has it: MNIST's own test digits (the oracle: in
MNIST's form already, they come out unchanged), and the real handwritten digits' accuracy floors."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.preprocess import decode, preprocess, to_mnist
from tests.app.preprocess.drawn import MAX_PIXELS, SHARED, encode

SAMPLE = 500  # MNIST test digits the unit tests read; scripts/mnist_upload.py reads all 10,000
# The real digits each committed model gets right (scripts/real_digits.py): none may get fewer.
REAL_DIGIT_FLOORS = {
    "mnist-rnn-128": 183,
    "mnist-rnn-256": 182,
    "mnist-rnn-128x2": 185,
    "mnist-lstm-128": 184,
    "mnist-gru-128": 186,
    "mnist-birnn-128": 185,
    "mnist-bilstm-128": 184,
    "ensemble": 186,
}


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The first SAMPLE MNIST test images (uint8) and their labels."""
    from training.mnist import load_test_set

    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"no MNIST in {SHARED / 'mnist'}")
    images, labels = (tensor[:SAMPLE].numpy() for tensor in load_test_set(SHARED / "mnist"))
    return images, labels


@pytest.fixture(scope="module")
def through_pipeline(mnist_test) -> np.ndarray:
    """The same digits, PNG-encoded, through the full pipeline, as if they were not in MNIST's form."""
    images, _ = mnist_test
    return np.stack([to_mnist(decode(encode(Image.fromarray(image)), MAX_PIXELS)) for image in images])


@settings(max_examples=100, deadline=None)
@given(index=st.integers(0, SAMPLE - 1), fmt=st.sampled_from(["PNG", "BMP", "WEBP"]), colour=st.booleans())
def test_a_digit_in_mnist_form_comes_out_unchanged(mnist_test, index: int, fmt: str, colour: bool) -> None:
    """The oracle: any MNIST test digit, sent losslessly in any mode, is the model's input bit for bit."""
    digit = mnist_test[0][index]
    image = Image.fromarray(digit).convert("RGB") if colour else Image.fromarray(digit)
    data = encode(image, fmt, lossless=True) if fmt == "WEBP" else encode(image, fmt)
    np.testing.assert_array_equal(preprocess(data, MAX_PIXELS), digit.astype(np.float32) / 255)


def test_the_full_pipeline_leaves_mnist_digits_nearly_unchanged(mnist_test, through_pipeline) -> None:
    images, _ = mnist_test
    assert float(np.abs(through_pipeline - images / 255).mean()) < 0.01


@pytest.mark.slow
def test_every_model_is_as_accurate_through_the_full_pipeline_as_on_tensors(
    mnist_test, through_pipeline, models_dir: Path
) -> None:
    """Within 0.3 points of the raw-tensor accuracy, over SAMPLE digits: a change of 1.5 digits."""
    from app.predict import classify_batch
    from app.registry import load_registry

    images, labels = mnist_test
    models = load_registry(models_dir).digit_models("all")
    on_tensors = [a.probabilities.argmax(1) for a in classify_batch(models, images.astype(np.float32) / 255)]
    through = [a.probabilities.argmax(1) for a in classify_batch(models, through_pipeline)]
    for index, model in enumerate(models):
        raw = np.mean([p[index] == y for p, y in zip(on_tensors, labels, strict=True)])
        piped = np.mean([p[index] == y for p, y in zip(through, labels, strict=True)])
        assert abs(piped - raw) * 100 <= 0.3 + 1e-9, f"{model.name}: {piped:.2%} through it, {raw:.2%} raw"


@pytest.mark.slow
def test_real_digits_meet_the_floors(models_dir: Path) -> None:
    """No model gets fewer of the 186 real digits right than the committed checkpoints do."""
    from training.real_digits import predict, read_manifest

    if not (SHARED / "real-digits" / "manifest.csv").is_file():
        pytest.skip(f"no real digits in {SHARED / 'real-digits'}")
    samples = read_manifest(SHARED / "real-digits")
    predictions, rejected = predict(samples, models_dir)
    right = {
        name: sum(p == s.label for p, s in zip(found, samples, strict=True)) for name, found in predictions.items()
    }
    assert not rejected
    assert all(right[name] >= floor for name, floor in REAL_DIGIT_FLOORS.items()), right
