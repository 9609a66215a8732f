"""app/inference_protocol.py without HTTP: bodies made and read by tritonclient, the client nobody here wrote."""

import json

import numpy as np
import pytest

from app.inference_protocol import (
    ProtocolError,
    bit_strings,
    check_pixels,
    read_inputs,
    read_request,
    requested_outputs,
    write_response,
)
from app.protocol_schemas import TensorMetadata

http = pytest.importorskip("tritonclient.http", reason="tritonclient[http] is not installed (a dev dependency)")

ELEMENTS = [b"", b"\x00", b"1011", bytes(range(256)), b"\xff" * 5]  # empty, zero bytes, every byte value


@pytest.fixture(scope="module")
def digits(registry):
    return registry.get("mnist-gru-128")


@pytest.fixture(scope="module")
def adder(adder_checkpoints, registry):
    return registry.adder_model(None)


def body(*inputs, outputs=None, **parameters):
    """A request body as tritonclient makes it: (body, Inference-Header-Content-Length or None)."""
    return http.InferenceServerClient.generate_request_body(list(inputs), outputs, parameters=parameters or None)


def tensor(name, values, datatype, binary=True):
    return http.InferInput(name, list(values.shape), datatype).set_data_from_numpy(values, binary_data=binary)


def error(call) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_pixels_are_read_as_tritonclient_sends_them(digits, binary):
    pixels = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    request, raws = read_request(*body(tensor("pixels", pixels, "FP32", binary)))
    inputs = read_inputs(digits, request, raws, max_batch=8)
    np.testing.assert_array_equal(inputs["pixels"], pixels)
    assert inputs["pixels"].dtype == np.float32


def test_bytes_elements_are_read_as_tritonclient_serialises_them(digits):
    images = np.array(ELEMENTS, dtype=np.object_)
    request, raws = read_request(*body(tensor("image", images, "BYTES")))
    assert read_inputs(digits, request, raws, max_batch=8)["image"] == ELEMENTS


def test_binary_inputs_follow_the_json_in_their_order(adder):
    a, b = np.array([b"1", b"10"], dtype=np.object_), np.array([b"111", b"0"], dtype=np.object_)
    request, raws = read_request(*body(tensor("b", b, "BYTES"), tensor("a", a, "BYTES", binary=False)))
    assert raws[1] is None
    assert read_inputs(adder, request, raws, max_batch=2) == {"b": [b"111", b"0"], "a": [b"1", b"10"]}


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_responses_are_read_back_by_tritonclient(binary):
    probabilities = np.random.default_rng(1).random((2, 10), dtype=np.float32)
    values = {"probabilities": probabilities, "digit": np.array([3, 9], dtype=np.int64), "sum": ELEMENTS}
    outputs = [(TensorMetadata(name=name, datatype=kind, shape=[-1]), binary) for name, kind in
               (("probabilities", "FP32"), ("digit", "INT64"), ("sum", "BYTES"))]  # fmt: skip
    if not binary:
        values["sum"] = [b"10001", b""]  # JSON carries BYTES as UTF-8 strings
    content, length = write_response("m", "7", outputs, values)
    assert (length is None) == (not binary)
    result = http.InferResult.from_response_body(content, header_length=length)
    assert result.get_response()["id"] == "7" and result.get_response()["model_name"] == "m"
    np.testing.assert_array_equal(result.as_numpy("probabilities"), probabilities)
    np.testing.assert_array_equal(result.as_numpy("digit"), [3, 9])
    sums = result.as_numpy("sum").tolist()  # bytes from binary data; from JSON, tritonclient gives str
    assert [value if binary else value.encode() for value in sums] == values["sum"]


def test_outputs_default_to_all_as_json_or_binary_by_request(adder, digits):
    pixels = tensor("pixels", np.zeros((1, 28, 28), np.float32), "FP32")
    request, _ = read_request(*body(pixels))  # no outputs named: tritonclient asks for binary_data_output
    assert [(t.name, binary) for t, binary in requested_outputs(digits, request)] == [
        ("probabilities", True),
        ("digit", True),
    ]
    request, _ = read_request(json.dumps({"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["1"]}],
                                          "outputs": [{"name": "sum"}]}).encode(), None)  # fmt: skip
    assert [(t.name, binary) for t, binary in requested_outputs(adder, request)] == [("sum", False)]


def raw(inputs, outputs=None, parameters=None):
    return json.dumps({"inputs": inputs, "outputs": outputs, "parameters": parameters}).encode()


PIXELS = {"name": "pixels", "shape": [1, 28, 28], "datatype": "FP32", "data": [0.5] * 784}
BAD_BODIES = [  # (body, Inference-Header-Content-Length, a fragment of the error)
    (b"", None, "the inference request is malformed: Invalid JSON"),
    (raw([]), None, "inputs: List should have at least 1 item"),
    (raw([{**PIXELS, "shape": [1, -28, 28]}]), None, "inputs.0.shape.1: Input should be greater than or equal to 0"),
    (raw([{**PIXELS, "datatype": "FP128"}]), None, "inputs.0.datatype: Input should be 'BOOL'"),
    (raw([{**PIXELS, "data": None}]), None, "has neither `data` nor `parameters.binary_data_size`"),
    (raw([{**PIXELS, "parameters": {"binary_data_size": 3136}}]), None, "has both `data` and"),
    (raw([{**PIXELS, "data": None, "parameters": {"binary_data_size": -1}}]), None, "non-negative integer"),
    (raw([{**PIXELS, "data": None, "parameters": {"binary_data_size": 3136}}]), None, "runs past the body's end"),
    (raw([PIXELS]) + b"\0", None, "the inference request is malformed: Invalid JSON"),
    (raw([PIXELS]) + b"\0", len(raw([PIXELS])), "1 bytes after the inputs' binary data"),
    (raw([PIXELS]), 10**6, "Inference-Header-Content-Length is 1000000"),
]


@pytest.mark.parametrize(("content", "length", "message"), BAD_BODIES)
def test_malformed_bodies_are_400s(content, length, message):
    refused = error(lambda: read_request(content, length))
    assert refused.status_code == 400 and message in refused.message, refused.message


BAD_INPUTS = [  # (inputs, status, a fragment of the error)
    ([{**PIXELS, "data": [0.5] * 783}], 400, "has 783 elements; shape [1, 28, 28]"),
    ([{**PIXELS, "data": ["0.5"] * 784}], 400, "FP32 data must be numbers"),
    ([{**PIXELS, "data": [[0.5] * 28] * 27 + [[0.5] * 27]}], 400, "FP32 data must be numbers"),
    ([{**PIXELS, "data": [True] * 784}], 400, "FP32 data must be numbers"),
    ([{**PIXELS, "shape": [0, 28, 28], "data": []}], 400, "has an empty batch"),
    ([{**PIXELS, "shape": [9, 28, 28], "data": [0.0] * 9 * 784}], 413, "a batch of 9; at most 8"),
    ([PIXELS, PIXELS], 400, "an input is given twice"),
    ([PIXELS, {"name": "image", "shape": [1], "datatype": "BYTES", "data": ["x"]}], 400, "takes one input"),
    ([{"name": "image", "shape": [2], "datatype": "BYTES", "data": ["x", 1]}], 400, "BYTES data in JSON must be"),
    ([{"name": "image", "shape": [3], "datatype": "BYTES", "data": ["x"]}], 400, "has 1 elements; shape [3]"),
]  # fmt: skip


@pytest.mark.parametrize(("inputs", "status", "message"), BAD_INPUTS)
def test_inputs_that_do_not_fit_the_model_are_refused(digits, inputs, status, message):
    request, raws = read_request(raw(inputs), None)
    refused = error(lambda: read_inputs(digits, request, raws, max_batch=8))
    assert (refused.status_code, message in refused.message) == (status, True), refused.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x05\x00\x00\x00abc", "an element of 5 bytes runs past its binary data"),
        (b"\x01\x00\x00\x00a\x01\x00", "ends inside an element's 4-byte length"),
        (b"\x01\x00\x00\x00a\x01\x00\x00\x00b", "has 2 elements; shape [1]"),
    ],
)
def test_truncated_or_surplus_bytes_elements_are_refused(digits, data, message):
    header = json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                     "parameters": {"binary_data_size": len(data)}}]}).encode()  # fmt: skip
    request, raws = read_request(header + data, len(header))
    assert message in error(lambda: read_inputs(digits, request, raws, max_batch=8)).message


def test_adders_take_a_and_b_of_one_batch_size(adder):
    def refused(inputs):
        request, raws = read_request(raw(inputs), None)
        return error(lambda: read_inputs(adder, request, raws, max_batch=8)).message

    a = {"name": "a", "shape": [1], "datatype": "BYTES", "data": ["1"]}
    assert "takes two inputs, `a` and `b`" in refused([a])
    assert "the inputs' batch sizes differ: [1, 2]" in refused(
        [a, {**a, "name": "b", "shape": [2], "data": ["1", "0"]}]
    )
    assert f"unknown input 'pixels'; {adder.name} takes: a, b" in refused([PIXELS])


def test_bit_strings_are_zeros_and_ones_within_max_bits():
    assert bit_strings([b"1011", b"0"], "a", max_bits=4) == ["1011", "0"]
    for element in (b"", b"102", b" 1", "١".encode()):
        assert error(lambda e=element: bit_strings([b"1", e], "a", 4)).message.startswith("a[1] must be a bit string")
    too_long = error(lambda: bit_strings([b"10110"], "b", max_bits=4))
    assert (too_long.status_code, too_long.message) == (413, "b[0] has 5 bits; at most 4 are allowed (RNNLAB_MAX_BITS)")


@pytest.mark.parametrize("value", [-0.01, 1.01, np.nan, np.inf])
def test_pixels_outside_zero_to_one_are_refused(value):
    pixels = np.zeros((2, 28, 28), np.float32)
    pixels[1, 5, 5] = value
    assert "values in [0, 1]" in error(lambda: check_pixels(pixels)).message


def test_requested_outputs_must_be_the_models_once_each(digits):
    def refused(outputs, parameters=None):
        request, _ = read_request(raw([PIXELS], outputs, parameters), None)
        return error(lambda: requested_outputs(digits, request)).message

    assert "unknown output 'logits'; mnist-gru-128 returns: probabilities, digit" in refused([{"name": "logits"}])
    assert "an output is requested twice" in refused([{"name": "digit"}, {"name": "digit"}])
    assert "classification extension" in refused([{"name": "digit", "parameters": {"class_count": 3}}])
    assert "'binary_data' must be true or false" in refused([{"name": "digit", "parameters": {"binary_data": 1}}])
    assert "'binary_data_output' must be true or false" in refused(None, {"binary_data_output": "yes"})


def test_json_data_may_nest_as_the_shape_does(digits, adder):
    nested = np.linspace(0, 1, 2 * 784, dtype=np.float32).reshape(2, 28, 28)
    request, raws = read_request(raw([{**PIXELS, "shape": [2, 28, 28], "data": nested.tolist()}]), None)
    np.testing.assert_array_equal(read_inputs(digits, request, raws, max_batch=2)["pixels"], nested)
    bits = [{"name": name, "shape": [2], "datatype": "BYTES", "data": [["1"], ["10"]]} for name in "ab"]
    request, raws = read_request(raw(bits), None)
    assert read_inputs(adder, request, raws, max_batch=2) == {"a": [b"1", b"10"], "b": [b"1", b"10"]}
