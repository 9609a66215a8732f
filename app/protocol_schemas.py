"""The Open Inference Protocol's JSON (KServe V2, as Triton speaks it), as pydantic models.

    request = InferenceRequest.model_validate_json(header)      # the JSON part of POST .../infer
    request.inputs[0].name, request.inputs[0].shape              # "pixels", [8, 28, 28]
    InferenceResponse(model_name="mnist-gru-128", outputs=[...]).model_dump_json(exclude_none=True)

Field names follow the protocol exactly (`name`, `datatype`, `shape`, `data`, `parameters`;
`model_name`, `model_version`, `id`, `outputs`). Tensor `data` is row-major, flat or nested;
with the binary tensor data extension an input carries `parameters.binary_data_size` instead.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The protocol's tensor datatypes; rnnlab's models read and write FP32, INT64 and BYTES.
Datatype = Literal[
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64", "BYTES", "BF16",
]  # fmt: skip
Dimension = Annotated[int, Field(ge=0, le=2**63 - 1)]  # a request's dimension: a size, never -1
Parameters = dict[str, Any]  # the protocol's key/value parameters: strings, numbers or booleans
TENSOR_DATA = "the tensor's elements in row-major order, flat or nested; strings for BYTES"


class TensorMetadata(BaseModel):
    """An input or output a model declares: -1 marks the batch dimension, of any size."""

    name: str = Field(examples=["pixels"])
    datatype: Datatype = Field(examples=["FP32"])
    shape: list[int] = Field(examples=[[-1, 28, 28]])


class ServerMetadata(BaseModel):
    name: str = Field(examples=["rnnlab"])
    version: str = Field(examples=["0.1.0"])
    extensions: list[str] = Field(examples=[["binary_tensor_data"]])


class ModelMetadata(BaseModel):
    name: str = Field(examples=["mnist-gru-128"])
    versions: list[str] = Field(examples=[["1"]])
    platform: str = Field(examples=["pytorch"])
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServerLive(BaseModel):
    live: bool


class ServerReady(BaseModel):
    ready: bool


class ModelReady(BaseModel):
    name: str
    ready: bool


class RequestInput(BaseModel):
    name: str = Field(examples=["pixels"])
    shape: list[Dimension] = Field(examples=[[1, 28, 28]])
    datatype: Datatype = Field(examples=["FP32"])
    parameters: Parameters | None = Field(
        default=None, description="`binary_data_size`: the tensor's bytes in the binary part that follows the JSON"
    )
    data: list[Any] | None = Field(default=None, description=TENSOR_DATA)


class RequestOutput(BaseModel):
    name: str = Field(examples=["digit"])
    parameters: Parameters | None = Field(
        default=None, description="`binary_data`: true returns this output in the binary part"
    )


class InferenceRequest(BaseModel):
    """The JSON of POST /v2/models/{name}/infer: the whole body, or its first
    Inference-Header-Content-Length bytes when binary tensors follow."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "1", "inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["1011"]},
                                       {"name": "b", "shape": [1], "datatype": "BYTES", "data": ["110"]}]},
            ]
        }
    )  # fmt: skip

    id: str | None = Field(default=None, description="echoed in the response")
    parameters: Parameters | None = Field(
        default=None, description="`binary_data_output`: true returns every output in the binary part"
    )
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = Field(default=None, description="default: every output, as JSON")


class ResponseOutput(BaseModel):
    name: str = Field(examples=["digit"])
    shape: list[int] = Field(examples=[[1]])
    datatype: Datatype = Field(examples=["INT64"])
    parameters: Parameters | None = Field(
        default=None, description="`binary_data_size`: the output's bytes in the binary part, in place of `data`"
    )
    data: list[Any] | None = Field(default=None, description=TENSOR_DATA, examples=[[7]])


class InferenceResponse(BaseModel):
    model_name: str = Field(examples=["mnist-gru-128"])
    model_version: str | None = Field(default=None, examples=["1"])
    id: str | None = Field(default=None, description="the request's `id`, when it had one")
    parameters: Parameters | None = None
    outputs: list[ResponseOutput]


class ProtocolErrorBody(BaseModel):
    """Every error on /v2: the protocol's form, rather than the rest of the API's `detail`."""

    error: str = Field(examples=["unknown model 'mnist-cnn'; the zoo has: adder-lstm-10, ..."])


def spec(name: str, datatype: Datatype, *shape: int) -> TensorMetadata:
    return TensorMetadata(name=name, datatype=datatype, shape=list(shape))


SIGNATURES = {  # what each task's models declare: task -> (inputs, outputs); -1 is the batch dimension, N
    "digits": (
        [spec("pixels", "FP32", -1, 28, 28), spec("image", "BYTES", -1)],
        [spec("probabilities", "FP32", -1, 10), spec("digit", "INT64", -1)],
    ),
    "adder": ([spec("a", "BYTES", -1), spec("b", "BYTES", -1)], [spec("sum", "BYTES", -1)]),
}
PLATFORM = "pytorch"  # every model is a torch module


def protocol_errors(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a /v2 route: protocol_errors(e404="unknown model") -> {404: {...}}."""
    return {int(code[1:]): {"model": ProtocolErrorBody, "description": text} for code, text in descriptions.items()}


def inlined_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` written in place: a route's openapi_extra cannot add
    components, and a `#/$defs/...` reference would point nowhere in the OpenAPI document."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        return [resolve(value) for value in node] if isinstance(node, list) else node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


INFER_BODY = {  # POST .../infer reads its body itself: JSON alone, or JSON then binary tensors
    "requestBody": {
        "required": True,
        "description": "an InferenceRequest as JSON; or, with the binary tensor data extension, its JSON "
        "(the first Inference-Header-Content-Length bytes) followed by each binary input's data",
        "content": {
            "application/json": {"schema": inlined_schema(InferenceRequest)},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
