"""The plain prediction functions, over batches, against single calls and the integer oracle."""

import random

import numpy as np
import pytest

from app.predict import add_batch, classify_batch, digit_probabilities, exact_sum


def test_classify_batch_answers_each_image_as_a_single_call_would(registry, mnist_digits):
    models = registry.digit_models("all")
    images = np.stack([digit.pixels for digit in mnist_digits[:8]])  # (8, 28, 28)
    batched = classify_batch(models, images)
    assert len(batched) == 8
    for image, answer in zip(images, batched, strict=True):
        alone = classify_batch(models, image[np.newaxis])[0]
        for together, single in zip(answer.results, alone.results, strict=True):
            assert together.digit == single.digit
            assert np.allclose(together.probabilities, single.probabilities, atol=1e-5)


def test_classify_batch_ensemble_is_the_mean_of_the_models(registry, mnist_digits):
    models = registry.digit_models("all")
    images = np.stack([digit.pixels for digit in mnist_digits[:4]])
    mean = np.mean([digit_probabilities(model.module, images) for model in models], axis=0)  # (4, 10)
    for row, answer in zip(mean, classify_batch(models, images), strict=True):
        assert answer.ensemble.model == "ensemble"
        assert np.allclose(answer.ensemble.probabilities, row, atol=1e-6)
        assert answer.ensemble.digit == int(row.argmax())


def test_classify_batch_needs_a_model(mnist_digits):
    with pytest.raises(ValueError, match="at least one"):
        classify_batch([], mnist_digits[0].pixels[np.newaxis])


@pytest.mark.parametrize("shape", [(2, 28, 27), (2, 27, 28), (28, 28)])
def test_classify_batch_refuses_images_that_are_not_28_by_28(registry, shape):
    with pytest.raises(ValueError, match=r"\(batch, 28, 28\) images"):
        classify_batch(registry.digit_models(None), np.zeros(shape, np.float32))


def test_exact_sum_is_python_addition():
    assert exact_sum("1011", "110", 5) == "10001"
    assert exact_sum("0", "0", 2) == "00"
    assert exact_sum("1" * 5000, "1", 5001) == "1" + "0" * 5000


def test_add_batch_matches_the_oracle_for_pairs_of_mixed_widths(registry, adder_checkpoints):
    rng = random.Random(1)
    widths = [(1, 1), (30, 3), (300, 200)]
    pairs = [(format(rng.getrandbits(n), "b"), format(rng.getrandbits(m), "b")) for n, m in widths]
    for (a, b), answer in zip(pairs, add_batch(registry.adder_model(None), pairs), strict=True):
        assert answer.bits == max(len(a), len(b)) + 1
        assert answer.expected == exact_sum(a, b, answer.bits)
        assert answer.correct and answer.sum == answer.expected


def test_add_batch_refuses_a_digit_model(registry):
    with pytest.raises(TypeError, match="not an adder"):
        add_batch(registry.digit_models(None)[0], [("1", "1")])
