"""rnnlab's architectures, in plain torch: one digit classifier and one binary adder.

Training and serving both import this module; it imports nothing but torch.

    >>> import torch
    >>> from training.model import DigitConfig, build_model
    >>> model = build_model("digits", DigitConfig("LSTM", 128))     # the zoo's configs: training/zoo.py
    >>> model(torch.zeros(4, 28, 28)).shape      # (batch, 28 rows, 28 pixels) -> (batch, 10)
    torch.Size([4, 10])
"""

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

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
    """A recurrent net that reads an image row by row, with a linear head on its final state.

    step_logits gives the answer after each row: step t is the model's answer to rows 1..t alone,
    read as an image of t rows. The one-directional models' step t is the head on the last layer's
    output at row t, from the very pass that gives the answer. A bidirectional model's backward
    direction must then start at row t, so it also reads the 28 prefixes of each image, reversed,
    in one more batched pass.
    """

    def __init__(self, config: DigitConfig):
        super().__init__()
        self.config = config
        self.directions = 2 if config.bidirectional else 1
        self.rnn = recurrent_layer(
            config.cell, config.input_size, config.hidden_size, config.num_layers, config.bidirectional
        )
        self.head = nn.Linear(config.hidden_size * self.directions, config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(batch, 28 steps, 28 features) in [0, 1] -> (batch, 10) logits.

        A one-directional model's answer is its last step, so the two never differ; a bidirectional
        one reads the whole image once, where its steps read every prefix.
        """
        if self.directions == 1:
            return self.step_logits(images)[:, -1]  # the head on the last layer's state after the last row
        _, state = self.rnn(normalise(images))
        logits: torch.Tensor = self.head(self.final_states(state))
        return logits

    def final_states(self, state: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The recurrent layer's final state -> (batch, hidden * directions): the last layer's, each direction."""
        hidden = state[0] if isinstance(state, tuple) else state  # (layers * directions, batch, hidden)
        return torch.cat(list(hidden[-self.directions :]), dim=1)

    def step_logits(self, images: torch.Tensor) -> torch.Tensor:
        """(batch, rows, 28) in [0, 1] -> (batch, rows, 10): step t's logits read rows 1..t alone.

        The last step is forward()'s answer; a row after t cannot change step t.
        """
        logits: torch.Tensor = self.head(self.step_states(images))
        return logits

    def step_states(self, images: torch.Tensor) -> torch.Tensor:
        """(batch, rows, 28) in [0, 1] -> (batch, rows, hidden * directions): what the head reads at step t."""
        inputs = normalise(images)
        if self.directions == 2 and self.config.num_layers > 1:  # layer 2 reads layer 1's backward state of each prefix
            return self.prefix_states(inputs)
        outputs: torch.Tensor = self.rnn(inputs)[0]  # (batch, rows, hidden * directions): the last layer, each row
        if self.directions == 1:
            return outputs
        # The forward direction after row t is causal: the same in every prefix. The backward one starts at row t.
        return torch.cat([outputs[..., : self.config.hidden_size], self.backward_from_each_row(inputs)], dim=-1)

    def backward_from_each_row(self, inputs: torch.Tensor) -> torch.Tensor:
        """(batch, rows, 28) normalised -> (batch, rows, hidden): the backward direction's state after it reads
        rows t, t-1, ..., 1, for every t. One unpacked pass of the reverse weights over the rows * batch
        reversed prefixes (the fused kernel; a packed pass takes more, smaller calls), keeping step t of
        prefix t: what the padding after it adds is never read."""
        batch, rows, features = inputs.shape
        order = (torch.arange(rows).view(-1, 1) - torch.arange(rows)) % rows  # (prefix t - 1, step k) -> row t - 1 - k
        prefixes = inputs[:, order].reshape(batch * rows, rows, features)
        weights = [getattr(self.rnn, f"{name}_l0_reverse") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        start = inputs.new_zeros(1, batch * rows, self.config.hidden_size)
        initial = (start, start) if self.config.cell == "LSTM" else start
        # (input, h0, weights, has biases, layers, dropout, train, bidirectional, batch first), as nn.RNNBase calls it
        run = CELL_PASSES[self.config.cell]
        outputs: torch.Tensor = run(prefixes, initial, weights, True, 1, 0.0, False, False, True)[0]
        steps = torch.arange(rows)
        return outputs.view(batch, rows, rows, -1)[:, steps, steps]  # step t - 1 of prefix t

    def prefix_states(self, inputs: torch.Tensor) -> torch.Tensor:
        """(batch, rows, 28) normalised -> (batch, rows, hidden * 2): each prefix's final states, both
        directions, from one packed pass over the rows prefixes of each image."""
        batch, rows, _ = inputs.shape
        # (rows * batch, rows, 28), longest first as packing wants: copy k of image b reads rows - k rows.
        prefixes = inputs.repeat(rows, 1, 1)
        lengths = torch.arange(rows, 0, -1).repeat_interleave(batch)
        _, state = self.rnn(pack_padded_sequence(prefixes, lengths, batch_first=True))
        final = self.final_states(state).view(rows, batch, -1)  # (prefix: rows..1, batch, hidden * 2)
        return final.flip(0).transpose(0, 1)


# The recurrent layers' own one-layer passes, called with a direction's weights (nn.RNN's "RNN" is tanh).
CELL_PASSES: dict[str, Any] = {"RNN": torch.rnn_tanh, "LSTM": torch.lstm, "GRU": torch.gru}


def normalise(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> MNIST's zero mean and unit variance: zero-mean inputs keep tanh units unsaturated."""
    return (images - MNIST_MEAN) / MNIST_STD


@dataclass(frozen=True)
class AdderSteps:
    """An adder's reading, one step (one column of bits, LSB first) at a time."""

    logits: torch.Tensor  # (batch, steps): the sum bit's logit at each step
    hidden: torch.Tensor  # (batch, steps, hidden): the LSTM's output h after each step
    cell: torch.Tensor  # (batch, steps, hidden): its cell state c after each step


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

    def steps(self, bits: torch.Tensor) -> AdderSteps:
        """(batch, steps, 2) of 0/1 -> the logits and both states after every step.

        nn.LSTM returns h after every step but c only after the last. h comes from forward()'s own
        fused pass, so the logits are forward()'s; c follows from the layer's gates, given h before
        each step: c_t = f_t * c_(t-1) + i_t * g_t, an elementwise loop of one call a step.
        """
        hidden, _ = self.rnn(bits)  # (batch, steps, hidden): h after each step
        w_ih, w_hh, b_ih, b_hh = self.rnn.all_weights[0]  # (4 hidden, 2), (4 hidden, hidden), (4 hidden,) x 2
        before = torch.cat([torch.zeros_like(hidden[:, :1]), hidden[:, :-1]], dim=1)  # h before each step
        gates = bits @ w_ih.T + before @ w_hh.T + b_ih + b_hh  # (batch, steps, 4 hidden): input, forget, cell, output
        i, f, g, _ = gates.chunk(4, dim=-1)
        writes = torch.sigmoid(i) * torch.tanh(g)  # what each step adds to the cell ...
        keeps = torch.sigmoid(f)  # ... and how much of it the step keeps
        c, cell = torch.zeros_like(hidden[:, 0]), []
        for keep, write in zip(keeps.unbind(1), writes.unbind(1), strict=True):
            c = torch.addcmul(write, keep, c)
            cell.append(c)
        return AdderSteps(self.head(hidden).squeeze(-1), hidden, torch.stack(cell, dim=1))


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
