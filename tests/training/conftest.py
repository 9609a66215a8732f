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
