"""The Open Inference Protocol (/v2) driven by NVIDIA's own client, tritonclient[http], against a live uvicorn.

    pytest tests/app/routers/test_v2_tritonclient.py   # needs MNIST's test files for the digit tests

The oracles are none of the service's code: the models' answers on the raw MNIST test tensors as
`python -m training evaluate` computes them (the module's argmax), /classify for encoded images,
and Python's integers for sums.
"""

import io
import random
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from tests.app import uploads
from tests.conftest import MNIST_DIR, MODELS_DIR, tasks_in

http = pytest.importorskip("tritonclient.http", reason="tritonclient[http] is not installed (a dev dependency)")
from tritonclient.utils import InferenceServerException  # noqa: E402

BATCH = 48  # MNIST test digits sent in one request
DIGIT_MODELS = sorted(d.name for d in MODELS_DIR.glob("mnist-*") if (d / "card.json").is_file())


@pytest.fixture(scope="module")
def triton(live_server: str) -> Iterator[Any]:
    with http.InferenceServerClient(live_server.removeprefix("http://"), network_timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def mnist_batch() -> tuple[np.ndarray, torch.Tensor]:
    """The first BATCH test digits: (BATCH, 28, 28) uint8, as the IDX file holds them, and their labels."""
    from training.mnist import read_idx

    images, labels = MNIST_DIR / "t10k-images-idx3-ubyte.gz", MNIST_DIR / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        pytest.skip(f"no MNIST test set in {MNIST_DIR}")
    return read_idx(images)[:BATCH], torch.from_numpy(read_idx(labels)[:BATCH].astype(np.int64))


def evaluated(name: str, images: np.ndarray, labels: torch.Tensor) -> np.ndarray:
    """The checkpoint's predictions on the raw tensors, as `python -m training evaluate` makes them."""
    from training.checkpoint import load_checkpoint
    from training.metrics import score_digits

    module, _ = load_checkpoint(MODELS_DIR / name)
    predictions: np.ndarray = score_digits(module, torch.from_numpy(images.copy()), labels).predictions.numpy()
    return predictions


def infer_pixels(triton: Any, name: str, pixels: np.ndarray, binary: bool) -> Any:
    tensor = http.InferInput("pixels", list(pixels.shape), "FP32").set_data_from_numpy(pixels, binary_data=binary)
    outputs = [http.InferRequestedOutput(output, binary_data=binary) for output in ("probabilities", "digit")]
    return triton.infer(name, [tensor], outputs=outputs, request_id=f"{name}-{binary}")


def test_server_is_live_and_ready_and_says_what_it_speaks(triton):
    assert triton.is_server_live() and triton.is_server_ready()
    metadata = triton.get_server_metadata()
    assert metadata["name"] == "rnnlab" and "binary_tensor_data" in metadata["extensions"]


def test_every_model_is_ready_and_declares_its_tensors(triton, live_server):
    zoo = httpx.get(f"{live_server}/models").json()
    assert zoo
    for model in zoo:
        assert triton.is_model_ready(model["name"]) and triton.is_model_ready(model["name"], "1")
        metadata = triton.get_model_metadata(model["name"])
        inputs = {tensor["name"]: (tensor["datatype"], tensor["shape"]) for tensor in metadata["inputs"]}
        outputs = {tensor["name"]: (tensor["datatype"], tensor["shape"]) for tensor in metadata["outputs"]}
        assert (metadata["name"], metadata["versions"]) == (model["name"], ["1"])
        if model["task"] == "digits":
            assert inputs == {"pixels": ("FP32", [-1, 28, 28]), "image": ("BYTES", [-1])}
            assert outputs == {"probabilities": ("FP32", [-1, 10]), "digit": ("INT64", [-1])}
        else:
            assert inputs == {"a": ("BYTES", [-1]), "b": ("BYTES", [-1])}
            assert outputs == {"sum": ("BYTES", [-1])}
        assert triton.get_model_metadata(model["name"], "1") == metadata


@pytest.mark.parametrize("name", DIGIT_MODELS)
def test_mnist_pixels_as_json_and_binary_agree_with_the_evaluated_model(triton, mnist_batch, name):
    images, labels = mnist_batch
    expected = evaluated(name, images, labels)
    pixels = images.astype(np.float32) / np.float32(255)  # (BATCH, 28, 28) in [0, 1], as training scales MNIST
    as_json, as_binary = (infer_pixels(triton, name, pixels, binary) for binary in (False, True))
    assert "data" in as_json.get_output("digit") and "binary_data_size" in as_binary.get_output("digit")["parameters"]
    for result in (as_json, as_binary):
        assert result.get_response()["model_name"] == name
        np.testing.assert_array_equal(result.as_numpy("digit"), expected)
        probabilities = result.as_numpy("probabilities")
        assert probabilities.shape == (BATCH, 10) and probabilities.dtype == np.float32
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(as_json.as_numpy("probabilities"), as_binary.as_numpy("probabilities"), atol=1e-6)
    assert as_binary.get_response()["id"] == f"{name}-True"


def jpeg_on_paper(digit: np.ndarray, size: int) -> bytes:
    """An MNIST digit as a photo would carry it: dark ink on white, enlarged, JPEG-compressed."""
    paper = ImageOps.invert(Image.fromarray(digit)).resize((size, size), Image.Resampling.BICUBIC)
    return uploads.encode(paper.convert("RGB"), "JPEG", quality=90)


def png(digit: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(digit).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", DIGIT_MODELS[:2])
def test_png_and_jpeg_images_as_binary_agree_with_classify(triton, live_server, mnist_batch, name):
    images, _ = mnist_batch
    files = [png(image) for image in images[:8]] + [jpeg_on_paper(image, 96) for image in images[8:16]]
    files += [uploads.encode(uploads.draw_seven(), "PNG"), uploads.encode(uploads.draw_seven(), "JPEG")]
    tensor = http.InferInput("image", [len(files)], "BYTES")
    tensor.set_data_from_numpy(np.array(files, dtype=np.object_), binary_data=True)
    result = triton.infer(name, [tensor], outputs=[http.InferRequestedOutput("digit", binary_data=True)])
    with httpx.Client(base_url=live_server, timeout=60) as client:
        classified = [
            client.post("/classify", params={"model": name}, files={"file": ("upload", data)}).json()["digit"]
            for data in files
        ]
    assert result.as_numpy("digit").tolist() == classified


def test_random_sums_are_exact_against_python_integers(triton, live_server):
    if "adder" not in tasks_in(MODELS_DIR):
        pytest.skip(f"no adder checkpoints in {MODELS_DIR}")
    default = next(model["name"] for model in httpx.get(f"{live_server}/models").json() if model["default"]
                   and model["task"] == "adder")  # fmt: skip
    generator = random.Random(17)
    pairs = [
        (format(generator.getrandbits(bits), "b"), format(generator.getrandbits(other), "b"))
        for bits, other in ((generator.randint(1, 64), generator.randint(1, 64)) for _ in range(40))
    ]
    tensors = []
    for index, name in enumerate("ab"):
        tensor = http.InferInput(name, [len(pairs)], "BYTES")
        tensor.set_data_from_numpy(np.array([pair[index].encode() for pair in pairs], dtype=np.object_))
        tensors.append(tensor)
    sums = [value.decode() for value in triton.infer(default, tensors).as_numpy("sum").tolist()]
    assert [int(total, 2) for total in sums] == [int(a, 2) + int(b, 2) for a, b in pairs]
    assert [len(total) for total in sums] == [max(len(a), len(b)) + 1 for a, b in pairs]


def raises(call: Any) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as caught:
        call()
    return caught.value


def pixels_input(shape: list[int], datatype: str = "FP32", name: str = "pixels") -> Any:
    dtype = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64}[datatype]
    return http.InferInput(name, shape, datatype).set_data_from_numpy(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    ("name", "tensor", "status", "message"),
    [
        ("mnist-gru-128", pixels_input([2, 28, 27]), "400", "has shape [2, 28, 27]; it must be [N, 28, 28]"),
        ("mnist-gru-128", pixels_input([2, 784]), "400", "input 'pixels' has shape [2, 784]; it must be [N, 28, 28]"),
        ("mnist-gru-128", pixels_input([1, 28, 28], "FP64"), "400", "input 'pixels' must be FP32, not FP64"),
        ("mnist-gru-128", pixels_input([1, 28, 28], "INT64"), "400", "input 'pixels' must be FP32, not INT64"),
        ("mnist-gru-128", pixels_input([1, 28, 28], name="input0"), "400", "unknown input 'input0'"),
        ("mnist-cnn", pixels_input([1, 28, 28]), "404", "unknown model 'mnist-cnn'"),
    ],
    ids=["wrong shape", "flat images", "FP64", "INT64", "unknown input", "unknown model"],
)  # fmt: skip
def test_malformed_requests_get_the_protocols_errors(triton, name, tensor, status, message):
    error = raises(lambda: triton.infer(name, [tensor]))
    assert error.status() == status
    assert message in error.message()


def test_unknown_model_and_version_are_404_for_metadata_and_readiness(triton):
    assert not triton.is_model_ready("mnist-cnn")
    assert raises(lambda: triton.get_model_metadata("mnist-cnn")).status() == "404"
    error = raises(lambda: triton.get_model_metadata("mnist-gru-128", "2"))
    assert (error.status(), error.message()) == ("404", "unknown version '2'; every model has one version, '1'")
    assert (
        "unknown version" in raises(lambda: triton.infer("mnist-gru-128", [pixels_input([1, 28, 28])], "7")).message()
    )


def test_endpoints_rnnlab_lacks_answer_in_the_protocols_form(triton):
    """Triton's model configuration and statistics are not part of the protocol: a 404, still readable."""
    error = raises(lambda: triton.get_model_config("mnist-gru-128"))
    assert (error.status(), error.message()) == ("404", "Not Found")
