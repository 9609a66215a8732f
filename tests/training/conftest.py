"""Training's tests, laid out as training/ is: tests/training/test_X.py tests training/X.py (bits,
checkpoint, mnist, model, reading, report, train_adder, train_mnist, each trainer with its CLI);
test_committed_models.py checks the committed models_store/ against a fresh evaluation.

`fake_mnist_dir` is an MNIST-shaped test set written by the test; `one_thread` runs a module's
tests on one torch thread.
"""

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from tests.training.test_mnist import write_idx


@pytest.fixture
def fake_mnist_dir(tmp_path_factory):
    """An MNIST-shaped IDX test set of 30 random images, written by the test."""
    root = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(2)
    write_idx(root / "t10k-images-idx3-ubyte", rng.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(root / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 30, dtype=np.uint8))
    return root


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One intra-op thread: an adder's tiny per-step kernels only lose on more, badly on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
