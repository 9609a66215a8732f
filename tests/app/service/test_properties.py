"""Properties of the HTTP API, for any input hypothesis can make (tests/app/preprocess/ hold
the function-level ones): an image in, the 28x28 input the model saw and 10 probabilities out, or a
clean 4xx; two bit strings in, a sum checked against Python's integers out, or a 422.
"""

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from tests.app import uploads

CLEAN_REJECTIONS = {400, 413, 415, 422}
BITS = re.compile(r"[01]+")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = {"PNG": {}, "JPEG": {"quality": 75}, "GIF": {}, "BMP": {}, "WEBP": {"quality": 80}}
MODES = {"L": 1, "RGB": 3, "RGBA": 4}  # mode -> channels


@st.composite
def images(draw: st.DrawFn) -> bytes:
    """Any small image, in any mode and format the service reads: noise, flat areas, strokes..."""
    mode = draw(st.sampled_from(sorted(MODES)))
    height, width = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    shape = (height, width, MODES[mode]) if MODES[mode] > 1 else (height, width)
    pixels = draw(arrays(np.uint8, shape, elements=st.integers(0, 255)))
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    image = Image.fromarray(pixels, mode)
    if fmt in ("JPEG", "BMP") and mode == "RGBA":
        image = image.convert("RGB")  # neither stores alpha
    return uploads.encode(image, fmt, **FORMATS[fmt])


def assert_classified_or_cleanly_rejected(response: Any) -> None:
    if response.status_code != 200:
        assert response.status_code in CLEAN_REJECTIONS, response.text
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
        return
    answer = response.json()
    seen = uploads.preview_pixels(answer["preview"])  # (28, 28) uint8: the model's input, in [0, 1] x 255
    assert seen.any()  # a 200 means ink was found
    probabilities = np.array(answer["probabilities"])
    assert probabilities.shape == (10,) and (probabilities >= 0).all() and (probabilities <= 1).all()
    assert abs(probabilities.sum() - 1) < 1e-4
    assert answer["digit"] == int(probabilities.argmax()) and answer["confidence"] == probabilities.max()


@PROPERTY
@given(images())
def test_any_image_upload_gives_the_mnist_input_or_a_clean_4xx(client, data: bytes) -> None:
    assert_classified_or_cleanly_rejected(client.post("/classify", files={"file": ("upload", data)}))


@PROPERTY
@given(
    st.sampled_from([uploads.encode(uploads.draw_seven(), fmt) for fmt in FORMATS]),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
    st.floats(0.05, 1),
)
def test_corrupted_or_truncated_upload_gives_the_mnist_input_or_a_clean_4xx(client, data, flips, kept) -> None:
    corrupt = bytearray(data)
    for where, value in flips:
        corrupt[int(where * len(corrupt))] = value
    upload = bytes(corrupt[: max(1, int(kept * len(corrupt)))])
    assert_classified_or_cleanly_rejected(client.post("/classify", files={"file": ("upload", upload)}))


@PROPERTY
@given(st.text(max_size=120))
def test_any_model_query_gives_an_answer_or_a_clean_4xx(client, model: str) -> None:
    response = client.post("/classify", params={"model": model}, files={"file": ("seven.png", uploads.SEVEN_PNG)})
    if response.status_code == 200:
        digit_models = {listed["name"] for listed in client.get("/models").json() if listed["task"] == "digits"}
        assert model in digit_models | {"all", "ensemble"}
    else:
        assert response.status_code in (404, 422) and response.json()["detail"]


def exact_sum(a: str, b: str) -> str:
    """The oracle: Python's integers, as wide as the adder's sum (one bit wider than the longer operand)."""
    return bin(int(a, 2) + int(b, 2))[2:].zfill(max(len(a), len(b)) + 1)


bit_strings = st.text(alphabet="01", min_size=1, max_size=300)


@settings(max_examples=300, deadline=None)
@given(bit_strings, bit_strings)
def test_add_checks_any_pair_of_bit_strings_against_python(client, adder_checkpoints, a: str, b: str) -> None:
    answer = client.post("/add", json={"a": a, "b": b}).json()
    assert answer["expected"] == exact_sum(a, b)
    assert answer["correct"] == (answer["sum"] == answer["expected"])
    assert len(answer["sum"]) == answer["bits"] == len(answer["probabilities"]) == max(len(a), len(b)) + 1
    assert answer["wrong_bits"] == sum(x != y for x, y in zip(answer["sum"], answer["expected"], strict=True))
    for bit, probability in zip(answer["sum"], answer["probabilities"], strict=True):
        assert 0 <= probability <= 1
        assert probability >= 0.5 if bit == "1" else probability <= 0.5  # the sum is the thresholded probabilities


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@PROPERTY
@given(st.one_of(bit_strings, st.text(max_size=40), json_values), st.one_of(bit_strings, st.text(max_size=40)))
def test_add_answers_any_json_operands_with_a_sum_or_a_422(client, adder_checkpoints, a: object, b: object) -> None:
    response = client.post("/add", json={"a": a, "b": b})
    valid = all(isinstance(x, str) and BITS.fullmatch(x) for x in (a, b))
    assert response.status_code == (200 if valid else 422), response.text
    if valid:
        assert response.json()["expected"] == exact_sum(str(a), str(b))


@pytest.mark.parametrize("extra", [{"c": "1"}, {"model": None}, {"A": "1"}])
def test_add_accepts_only_its_own_fields(adder_client, extra: dict[str, object]) -> None:
    """`model: null` means the default adder; any other key is refused (extra fields are forbidden)."""
    response = adder_client.post("/add", json={"a": "1", "b": "1", **extra})
    assert response.status_code == (200 if "model" in extra else 422)
