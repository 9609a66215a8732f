"""rnnlab's architectures, in plain torch: one digit classifier and one binary adder.

Training and serving both import this module; it imports nothing but torch.

    >>> import torch
    >>> from training.model import DIGIT_MODELS, build_model
    >>> model = build_model("digits", DIGIT_MODELS["mnist-lstm-128"])
    >>> model(torch.zeros(4, 28, 28)).shape      # (batch, 28 rows, 28 pixels) -> (batch, 10)
    torch.Size([4, 10])
"""

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

CELLS = ("RNN", "LSTM", "GRU")
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # pixel statistics of MNIST's training set, in [0, 1] units
TASKS = ("digits", "adder")


@dataclass(frozen=True)
class DigitConfig:
    cell: str  # "RNN" (tanh), "LSTM" or "GRU"
    hidden_size: int  # units per direction
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # also read the rows bottom to top
    input_size: int = 28  # features a step: one row of 28 pixels
    num_classes: int = 10  # digits 0-9


@dataclass(frozen=True)
class AdderConfig:
    hidden_size: int  # LSTM units; the carry lives here
    input_size: int = 2  # one bit of each operand a step


# The model zoo's architectures (DESIGN.md). Adders that share an architecture differ
# only in how they are trained: see training.train_adder.ADDER_RECIPES.
DIGIT_MODELS: dict[str, DigitConfig] = {
    "mnist-rnn-128": DigitConfig("RNN", 128),
    "mnist-rnn-256": DigitConfig("RNN", 256),
    "mnist-rnn-128x2": DigitConfig("RNN", 128, num_layers=2),
    "mnist-lstm-128": DigitConfig("LSTM", 128),
    "mnist-gru-128": DigitConfig("GRU", 128),
    "mnist-birnn-128": DigitConfig("RNN", 128, bidirectional=True),
    "mnist-bilstm-128": DigitConfig("LSTM", 128, bidirectional=True),
}
ADDER_MODELS: dict[str, AdderConfig] = {
    "adder-lstm-3": AdderConfig(3),
    "adder-lstm-10": AdderConfig(10),
    "adder-lstm-5-mse": AdderConfig(5),
    "adder-lstm-5-bce": AdderConfig(5),
    "adder-lstm-5-len3": AdderConfig(5),
    "adder-lstm-5-len5": AdderConfig(5),
    "adder-lstm-5-len10": AdderConfig(5),
}


def recurrent_layer(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False
) -> nn.RNNBase:
    """The torch recurrent layer named by `cell`, batch first."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    layer: nn.RNNBase = getattr(nn, cell)(
        input_size, hidden_size, num_layers=num_layers, batch_first=True, bidirectional=bidirectional
    )
    for name, weight in layer.named_parameters():
        if name.startswith("weight_hh"):
            # Orthogonal recurrence keeps gradients alive over 28 steps (and 10,000 for adders).
            for gate in weight.data.chunk(weight.shape[0] // hidden_size):
                nn.init.orthogonal_(gate)
        elif name.startswith("bias_ih") and cell == "LSTM":
            # Forget-gate bias 1 (gates are ordered input, forget, cell, output): remember by default.
            weight.data[hidden_size : 2 * hidden_size] = 1.0
    return layer


class DigitClassifier(nn.Module):
    """A recurrent net that reads an image row by row, with a linear head on its final state."""

    def __init__(self, config: DigitConfig):
        super().__init__()
        self.config = config
        self.directions = 2 if config.bidirectional else 1
        self.rnn = recurrent_layer(
            config.cell, config.input_size, config.hidden_size, config.num_layers, config.bidirectional
        )
        self.head = nn.Linear(config.hidden_size * self.directions, config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(batch, 28 steps, 28 features) in [0, 1] -> (batch, 10) logits."""
        _, state = self.rnn((images - MNIST_MEAN) / MNIST_STD)  # zero-mean inputs keep tanh units unsaturated
        hidden = state[0] if isinstance(state, tuple) else state  # (layers * directions, batch, hidden)
        final = hidden[-self.directions :]  # the last layer's final state, each direction
        logits: torch.Tensor = self.head(torch.cat(list(final), dim=1))  # (batch, hidden * directions) -> (batch, 10)
        return logits


class BinaryAdder(nn.Module):
    """An LSTM that reads two numbers LSB first and emits one sum bit a step, as a logit."""

    def __init__(self, config: AdderConfig):
        super().__init__()
        self.config = config
        self.rnn = recurrent_layer("LSTM", config.input_size, config.hidden_size)
        self.head = nn.Linear(config.hidden_size, 1)

    def forward(self, bits: torch.Tensor) -> torch.Tensor:
        """(batch, steps, 2) of 0/1 -> (batch, steps) logits of the sum bits."""
        outputs, _ = self.rnn(bits)  # (batch, steps, hidden)
        logits: torch.Tensor = self.head(outputs).squeeze(-1)
        return logits


def build_model(task: str, architecture: DigitConfig | AdderConfig | dict[str, Any]) -> nn.Module:
    """Build a model from its task and architecture, given as a config or as a card's dict."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if isinstance(architecture, dict):
        architecture = (DigitConfig if task == "digits" else AdderConfig)(**architecture)
    if isinstance(architecture, DigitConfig):
        return DigitClassifier(architecture)
    return BinaryAdder(architecture)


def architecture_of(model: nn.Module) -> dict[str, Any]:
    """The constructor arguments of a model, as a card stores them."""
    config = model.config
    assert isinstance(config, DigitConfig | AdderConfig)
    return asdict(config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
