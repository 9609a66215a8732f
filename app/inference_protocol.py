"""The Open Inference Protocol without HTTP: each model's signature, request tensors in, response out.

    request, raws = read_request(body, header_length)        # the JSON header and each input's binary part
    inputs = read_inputs(model, request, raws, max_batch)    # {"pixels": (N, 28, 28) float32} or {"a": [b"1011"], ...}
    outputs = requested_outputs(model, request)              # [(TensorMetadata, as binary?)]
    body, header_length = write_response(model.name, request.id, outputs, {"digit": digits, ...})

The binary tensor data extension: a body whose first `Inference-Header-Content-Length` bytes are
the JSON request, followed by the raw data of each input that has `parameters.binary_data_size`, in
the inputs' order. FP32 and INT64 data are little-endian; a BYTES element is its length as 4 bytes
(little-endian), then its bytes. A response returns outputs the same way when the request asks for
them with `binary_data: true` (an output's parameters) or `binary_data_output: true` (the request's).

A digit model takes `pixels` (FP32 [N, 28, 28], in [0, 1]: MNIST's form) or `image` (BYTES [N],
encoded images, preprocessed as /classify does), and returns `probabilities` (FP32 [N, 10]) and
`digit` (INT64 [N]). An adder takes `a` and `b` (BYTES [N], bit strings, MSB first) and returns
`sum` (BYTES [N]). Every error is a ProtocolError: its status and a message for `{"error": ...}`.
"""

import math
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
from pydantic import ValidationError

from app.protocol_schemas import (
    PLATFORM,
    SIGNATURES,
    InferenceRequest,
    InferenceResponse,
    ModelMetadata,
    RequestInput,
    ResponseOutput,
    TensorMetadata,
)
from app.registry import LoadedModel

VERSION = "1"  # each checkpoint is the one version of its model
EXTENSIONS = ["binary_tensor_data"]
BITS = frozenset(b"01")
NUMPY_TYPES: dict[str, np.dtype[Any]] = {"FP32": np.dtype("<f4"), "INT64": np.dtype("<i8")}  # little-endian
Tensor = np.ndarray | list[bytes]  # a numeric tensor, shaped; or a BYTES tensor's elements, row-major


class ProtocolError(ValueError):
    """A request the protocol's endpoints refuse: status_code (4xx) and the message of `{"error": ...}`."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def model_metadata(model: LoadedModel) -> ModelMetadata:
    inputs, outputs = SIGNATURES[model.task]
    return ModelMetadata(name=model.name, versions=[VERSION], platform=PLATFORM, inputs=inputs, outputs=outputs)


def read_request(body: bytes, header_length: int | None) -> tuple[InferenceRequest, list[bytes | None]]:
    """The body -> the JSON request and, for each input, its binary data (None: its data is in the JSON)."""
    if header_length is not None and header_length > len(body):
        raise ProtocolError(400, f"Inference-Header-Content-Length is {header_length}; the body has {len(body)} bytes")
    end = len(body) if header_length is None else header_length
    try:
        request = InferenceRequest.model_validate_json(body[:end])
    except ValidationError as error:
        raise ProtocolError(400, "the inference request is malformed: " + explain(error)) from None
    binary, position = body[end:], 0
    raws: list[bytes | None] = []
    for tensor in request.inputs:
        size = binary_size(tensor)
        if size is None:
            raws.append(None)
            continue
        if position + size > len(binary):
            raise ProtocolError(400, f"input {tensor.name!r}: binary_data_size {size} runs past the body's end")
        raws.append(binary[position : position + size])
        position += size
    if position != len(binary):
        raise ProtocolError(400, f"the body has {len(binary) - position} bytes after the inputs' binary data")
    return request, raws


def explain(error: ValidationError) -> str:
    """pydantic's errors as one line: "inputs.0.shape.1: Input should be ...; ..."."""
    return "; ".join(
        ".".join(map(str, detail["loc"])) + ": " + detail["msg"] if detail["loc"] else detail["msg"]
        for detail in error.errors(include_url=False)
    )


def binary_size(tensor: RequestInput) -> int | None:
    """The input's `binary_data_size`, checked; None when its data is in the JSON."""
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is None:
        if tensor.data is None:
            raise ProtocolError(400, f"input {tensor.name!r} has neither `data` nor `parameters.binary_data_size`")
        return None
    if type(size) is not int or size < 0:
        raise ProtocolError(400, f"input {tensor.name!r}: binary_data_size must be a non-negative integer")
    if tensor.data is not None:
        raise ProtocolError(400, f"input {tensor.name!r} has both `data` and `parameters.binary_data_size`")
    return size


def read_inputs(
    model: LoadedModel, request: InferenceRequest, raws: list[bytes | None], max_batch: int
) -> dict[str, Tensor]:
    """Each input, checked against the model's signature (name, datatype, shape, batch size), then decoded."""
    declared = {tensor.name: tensor for tensor in SIGNATURES[model.task][0]}
    batch_sizes = set()
    for tensor in request.inputs:
        expected = declared.get(tensor.name)
        if expected is None:
            raise ProtocolError(400, f"unknown input {tensor.name!r}; {model.name} takes: {', '.join(declared)}")
        check_tensor(tensor, expected)
        batch_sizes.add(tensor.shape[0])
    names = [tensor.name for tensor in request.inputs]
    if len(set(names)) < len(names):
        raise ProtocolError(400, f"an input is given twice: {', '.join(names)}")
    check_combination(model, names)
    if len(batch_sizes) > 1:
        raise ProtocolError(400, f"the inputs' batch sizes differ: {sorted(batch_sizes)}")
    (batch,) = batch_sizes
    if batch > max_batch:
        raise ProtocolError(413, f"a batch of {batch}; at most {max_batch} are allowed (RNNLAB_MAX_INFER_BATCH)")
    return {tensor.name: decode(tensor, raw) for tensor, raw in zip(request.inputs, raws, strict=True)}


def check_tensor(tensor: RequestInput, expected: TensorMetadata) -> None:
    if tensor.datatype != expected.datatype:
        raise ProtocolError(400, f"input {tensor.name!r} must be {expected.datatype}, not {tensor.datatype}")
    fits = len(tensor.shape) == len(expected.shape) and all(
        want in (-1, got) for got, want in zip(tensor.shape, expected.shape, strict=True)
    )
    if not fits:
        wanted = "[" + ", ".join("N" if size == -1 else str(size) for size in expected.shape) + "]"
        raise ProtocolError(400, f"input {tensor.name!r} has shape {tensor.shape}; it must be {wanted}")
    if tensor.shape[0] < 1:
        raise ProtocolError(400, f"input {tensor.name!r} has an empty batch; N must be at least 1")


def check_combination(model: LoadedModel, names: list[str]) -> None:
    """A digit model takes pixels or image, one of them; an adder takes a and b."""
    if model.task == "digits" and len(names) != 1:
        raise ProtocolError(400, f"{model.name} takes one input, `pixels` (FP32) or `image` (BYTES); not {names}")
    if model.task == "adder" and sorted(names) != ["a", "b"]:
        raise ProtocolError(400, f"{model.name} takes two inputs, `a` and `b` (BYTES); not {names}")


def decode(tensor: RequestInput, raw: bytes | None) -> Tensor:
    """The tensor's data, from the JSON or its binary part, checked against its shape."""
    count = math.prod(tensor.shape)
    if tensor.datatype == "BYTES":
        elements = bytes_elements(raw, count, tensor.name) if raw is not None else json_strings(tensor)
        if len(elements) != count:
            raise ProtocolError(400, f"input {tensor.name!r} has {len(elements)} elements; shape {tensor.shape}")
        return elements
    dtype = NUMPY_TYPES[tensor.datatype]
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            message = f"{len(raw)} bytes of binary data; shape {tensor.shape} of {tensor.datatype} takes"
            raise ProtocolError(400, f"input {tensor.name!r} has {message} {count * dtype.itemsize}")
        return np.frombuffer(raw, dtype=dtype).reshape(tensor.shape)  # read-only: no copy
    return json_numbers(tensor, dtype, count)


def json_numbers(tensor: RequestInput, dtype: np.dtype[Any], count: int) -> np.ndarray:
    try:
        values = np.asarray(tensor.data)  # nested lists of numbers: an int or float array
    except ValueError:  # ragged lists
        values = np.asarray([], dtype=object)
    if values.dtype.kind not in "iuf":
        raise ProtocolError(400, f"input {tensor.name!r}: {tensor.datatype} data must be numbers in (nested) lists")
    if values.size != count:
        raise ProtocolError(400, f"input {tensor.name!r} has {values.size} elements; shape {tensor.shape}")
    return values.astype(dtype).reshape(tensor.shape)


def json_strings(tensor: RequestInput) -> list[bytes]:
    """A BYTES tensor's JSON data: strings (UTF-8), flat or in nested lists."""
    values = list(flat(tensor.data or []))
    if not all(isinstance(value, str) for value in values):
        raise ProtocolError(400, f"input {tensor.name!r}: BYTES data in JSON must be strings")
    return [value.encode() for value in values]


def flat(data: list[Any]) -> Iterator[Any]:
    """Nested lists' elements in row-major order (as deep as JSON nests: pydantic's parser bounds it)."""
    for value in data:
        if isinstance(value, list):
            yield from flat(value)
        else:
            yield value


def bytes_elements(raw: bytes, count: int, name: str) -> list[bytes]:
    """A BYTES tensor's binary data -> its elements: each a 4-byte little-endian length, then the bytes."""
    elements: list[bytes] = []
    position = 0
    while position < len(raw) and len(elements) <= count:
        if position + 4 > len(raw):
            raise ProtocolError(400, f"input {name!r}: its binary data ends inside an element's 4-byte length")
        (length,) = struct.unpack_from("<I", raw, position)
        start, position = position + 4, position + 4 + length
        if position > len(raw):
            raise ProtocolError(400, f"input {name!r}: an element of {length} bytes runs past its binary data")
        elements.append(raw[start:position])
    return elements


def bit_strings(tensor: Tensor, name: str, max_bits: int) -> list[str]:
    """An adder's operand: bit strings of 0 and 1, MSB first, at most max_bits each (RNNLAB_MAX_BITS)."""
    bits = []
    for index, element in enumerate(tensor):
        if not element or not BITS.issuperset(element):
            raise ProtocolError(400, f"{name}[{index}] must be a bit string of 0 and 1, MSB first")
        if len(element) > max_bits:
            message = f"{name}[{index}] has {len(element)} bits; at most {max_bits} are allowed (RNNLAB_MAX_BITS)"
            raise ProtocolError(413, message)
        bits.append(element.decode("ascii"))
    return bits


def check_pixels(pixels: np.ndarray) -> np.ndarray:
    """`pixels` must already be in MNIST's form: every value in [0, 1] (NaN is not)."""
    if not bool(((pixels >= 0) & (pixels <= 1)).all()):
        raise ProtocolError(400, "input 'pixels' must hold values in [0, 1], MNIST's form (bright ink on black)")
    return pixels


def requested_outputs(model: LoadedModel, request: InferenceRequest) -> list[tuple[TensorMetadata, bool]]:
    """The outputs to return, each with whether it goes in the binary part; default: all, as JSON."""
    declared = {tensor.name: tensor for tensor in SIGNATURES[model.task][1]}
    default_binary = flag(request.parameters, "binary_data_output", False)
    if request.outputs is None:
        return [(tensor, default_binary) for tensor in declared.values()]
    chosen = []
    for output in request.outputs:
        if output.name not in declared:
            raise ProtocolError(400, f"unknown output {output.name!r}; {model.name} returns: {', '.join(declared)}")
        if (output.parameters or {}).get("class_count"):
            raise ProtocolError(400, "the classification extension (class_count) is not supported")
        chosen.append((declared[output.name], flag(output.parameters, "binary_data", default_binary)))
    if len({tensor.name for tensor, _ in chosen}) < len(chosen):
        raise ProtocolError(400, "an output is requested twice")
    return chosen


def flag(parameters: dict[str, Any] | None, key: str, default: bool) -> bool:
    value = (parameters or {}).get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(400, f"the parameter {key!r} must be true or false")
    return value


def write_response(
    model_name: str, request_id: str | None, outputs: list[tuple[TensorMetadata, bool]], values: dict[str, Tensor]
) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length when binary outputs follow it (else None)."""
    entries, buffers = [], []
    for tensor, binary in outputs:
        value = values[tensor.name]
        shape = list(value.shape) if isinstance(value, np.ndarray) else [len(value)]
        if binary:
            buffers.append(tensor_bytes(tensor.datatype, value))
            parameters, data = {"binary_data_size": len(buffers[-1])}, None
        else:
            parameters, data = None, json_data(value)
        entries.append(
            ResponseOutput(name=tensor.name, shape=shape, datatype=tensor.datatype, parameters=parameters, data=data)
        )
    response = InferenceResponse(model_name=model_name, model_version=VERSION, id=request_id, outputs=entries)
    header = response.model_dump_json(exclude_none=True).encode()
    return (header, None) if not buffers else (header + b"".join(buffers), len(header))


def json_data(value: Tensor) -> list[Any]:
    """An output's JSON data: its numbers, flat in row-major order, or its BYTES elements as strings."""
    if isinstance(value, np.ndarray):
        data: list[Any] = value.ravel().tolist()
        return data
    return [element.decode() for element in value]


def tensor_bytes(datatype: str, value: Tensor) -> bytes:
    """An output's binary data: little-endian numbers, or length-prefixed BYTES elements."""
    if isinstance(value, np.ndarray):
        data: bytes = value.astype(NUMPY_TYPES[datatype]).tobytes()
        return data
    return b"".join(struct.pack("<I", len(element)) + element for element in value)
