"""Request and response bodies, with the examples /docs shows.

    from app.schemas import AddRequest
    AddRequest(a="1011", b="110")          # pattern ^[01]+$, at least 1 bit; extra keys are rejected

The length cap on a and b is a setting (RNNLAB_MAX_BITS), so routers/adder.py checks it.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.registry import MAX_MODEL_NAME

BITS = r"^[01]+$"
PREVIEW_EXAMPLE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAAA..."
PROBABILITIES_EXAMPLE = [0.0, 0.0, 0.001, 0.002, 0.0, 0.0, 0.0, 0.996, 0.0, 0.001]


class ErrorResponse(BaseModel):
    """Every error: what was wrong and what is allowed."""

    detail: str = Field(examples=["unknown model 'mnist-cnn'; the zoo has: mnist-bilstm-128, mnist-gru-128, ..."])


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path, then the field", examples=[["body", "a"]])
    msg: str = Field(examples=["String should match pattern '^[01]+$'"])
    type: str = Field(examples=["string_pattern_mismatch"])


class ValidationErrorResponse(BaseModel):
    """422: the request does not fit the schema; `detail` joins every issue into one readable line."""

    detail: str = Field(examples=["body.a: String should match pattern '^[01]+$'"])
    errors: list[ValidationIssue] = Field(default_factory=list, description="empty for a cap that is a setting")


def error_responses(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: error_responses(e404="unknown model") -> {404: {...}}."""
    return {
        int(code[1:]): {"model": ValidationErrorResponse if code == "e422" else ErrorResponse, "description": text}
        for code, text in descriptions.items()
    }


STEPS_DESCRIPTION = (
    "with `steps=true`: 28 lists of the 10 probabilities, one per row; step t is the model's answer to the "
    "image's first t rows alone, read as an image of t rows, so a row after t cannot change it, and step 28 "
    "is the answer. A one-directional model's step t is its head on the state after row t, from the same "
    "pass as the answer; a bidirectional model reads each of the 28 prefixes (one batched pass), its backward "
    "direction starting at row t. The ensemble's steps are the mean of its models'. Null without `steps`."
)


class Prediction(BaseModel):
    model: str = Field(description="the digit model's name, or 'ensemble'", examples=["mnist-bilstm-128"])
    digit: int = Field(ge=0, le=9, description="the most probable class", examples=[7])
    confidence: float = Field(ge=0, le=1, description="the probability of `digit`", examples=[0.996])
    probabilities: list[float] = Field(
        min_length=10,
        max_length=10,
        description="softmax probabilities of the digits 0-9",
        examples=[PROBABILITIES_EXAMPLE],
    )
    steps: list[list[float]] | None = Field(default=None, description=STEPS_DESCRIPTION)


class ClassifyResponse(Prediction):
    """`/classify?model=<name>` (or the default model, or `model=ensemble`)."""

    preview: str = Field(description="the 28x28 image the model saw, as a PNG data URL", examples=[PREVIEW_EXAMPLE])
    hidden: list[list[float]] | None = Field(
        default=None,
        description="with `steps=true&hidden=true`, one model only: 28 rows of the state its head reads at "
        "each step (hidden units, both directions' for a bidirectional model), rounded to 3 decimals",
    )


class ClassifyAllResponse(BaseModel):
    """`/classify?model=all`: every digit model's answer, and their ensemble."""

    preview: str = Field(description="the 28x28 image the models saw, as a PNG data URL", examples=[PREVIEW_EXAMPLE])
    ensemble: Prediction = Field(description="the mean of every model's probabilities")
    results: list[Prediction] = Field(description="one answer per digit model, in name order")


class AddRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"a": "1011", "b": "110"}, {"a": "1", "b": "1", "model": "adder-lstm-10"}]},
    )

    a: str = Field(min_length=1, pattern=BITS, description="a binary number, most-significant bit first")
    b: str = Field(min_length=1, pattern=BITS, description="a binary number, most-significant bit first")
    model: str | None = Field(
        default=None, max_length=MAX_MODEL_NAME, description="an adder's name; default: the best adder"
    )
    steps: StrictBool = Field(
        default=False,
        description="also return the adder's state after every bit, for operands of up to RNNLAB_MAX_STEP_BITS bits",
    )


class AdderStep(BaseModel):
    """The adder after reading one column of bits (one bit of a and one of b)."""

    probability: float = Field(ge=0, le=1, description="P(sum bit = 1) at this column", examples=[0.998])
    hidden: list[float] = Field(description="the LSTM's hidden state h (its output), one value per unit")
    cell: list[float] = Field(description="the LSTM's cell state c (its memory), one value per unit")


class CarryUnit(BaseModel):
    """The unit whose value tracks the carry, found from the weights on a long random sum (Pearson r)."""

    unit: int = Field(ge=0, description="the unit's index in `hidden` or `cell`", examples=[3])
    state: Literal["hidden", "cell"] = Field(examples=["hidden"])
    correlation: float = Field(ge=-1, le=1, description="Pearson r with the true carry out of each column")


class AddResponse(BaseModel):
    model: str = Field(examples=["adder-lstm-10"])
    sum: str = Field(description="the model's sum, MSB first, max(len(a), len(b)) + 1 bits", examples=["10001"])
    expected: str = Field(
        description="the exact sum (Python integers), MSB first, as wide as `sum`", examples=["10001"]
    )
    correct: bool = Field(description="whether `sum` equals `expected`", examples=[True])
    bits: int = Field(description="the width of `sum`", examples=[5])
    wrong_bits: int = Field(description="how many bits of `sum` differ from `expected`", examples=[0])
    probabilities: list[float] = Field(
        description="P(bit = 1) for each bit of `sum`, MSB first", examples=[[0.998, 0.002, 0.001, 0.003, 0.999]]
    )
    steps: list[AdderStep] | None = Field(
        default=None,
        description="with `steps`: the adder after each column, in reading order (least-significant bit "
        "first, the reverse of `sum`), from a step-by-step pass that matches the fused one. Null without `steps`.",
    )
    carry_unit: CarryUnit | None = Field(
        default=None, description="with `steps`: the unit that tracks the carry; null when none does (`carry_note`)"
    )
    carry_note: str | None = Field(default=None, description="with `steps`: the carry unit in words, or why none")


class HeadlineMetric(BaseModel):
    name: Literal["test_accuracy", "exact_accuracy"] = Field(examples=["test_accuracy"])
    value: float | None = Field(description="a fraction in [0, 1]; null if the card lacks it", examples=[0.9912])


class ModelSummary(BaseModel):
    name: str = Field(examples=["mnist-bilstm-128"])
    task: Literal["digits", "adder"] = Field(examples=["digits"])
    parameters: int = Field(examples=[164362])
    architecture: dict[str, Any] = Field(
        examples=[{"cell": "LSTM", "hidden_size": 128, "num_layers": 1, "bidirectional": True}]
    )
    metric: HeadlineMetric
    sha256: str = Field(description="SHA-256 of the weights file", examples=["aa7e56d6ed3acc88..."])
    default: bool = Field(description="whether this is its task's default model", examples=[True])


class ModelCard(BaseModel):
    """The checkpoint's card without its training curves, plus the names of its plots."""

    model_config = ConfigDict(extra="allow")

    name: str
    task: Literal["digits", "adder"]
    architecture: dict[str, Any]
    parameters: int
    training: dict[str, Any] = Field(default_factory=dict, description="recipe, seed, duration, package versions")
    metrics: dict[str, Any] = Field(
        default_factory=dict,
        description="digits: test_accuracy, per_class_accuracy, confusion_matrix; "
        "adders: bit_accuracy, exact_accuracy, by_length, long",
    )
    sha256: str
    plots: list[str] = Field(description="PNG files served at /models/{name}/plots/{file}", examples=[["loss.png"]])


class Health(BaseModel):
    status: Literal["live", "ready"]
    models: int = Field(description="how many models are loaded", examples=[14])
