import gzip
import struct

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from training.mnist import CONTINENTAL, Flags, add_flags, augment, load_mnist, read_idx, spread_maximum, to_inputs


def write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize("filename", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_reads_what_was_written(tmp_path, filename):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / filename, images)
    assert np.array_equal(read_idx(tmp_path / filename), images)


def test_read_idx_reads_big_endian_ints(tmp_path):
    values = np.array([1, -2, 70000], dtype=np.int32)
    write_idx(tmp_path / "ints", values, type_code=0x0C)
    assert read_idx(tmp_path / "ints").tolist() == [1, -2, 70000]


def test_read_idx_rejects_a_short_body(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="header says"):
        read_idx(path)


def test_read_idx_rejects_other_files(tmp_path):
    (tmp_path / "x").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "x")


def test_load_mnist_splits_a_fake_dataset(tmp_path):
    rng = np.random.default_rng(1)
    write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (12000, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", rng.integers(0, 10, 12000, dtype=np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 30, dtype=np.uint8))
    data = load_mnist(tmp_path)
    assert (len(data.train_images), len(data.val_images), len(data.test_images)) == (2000, 10000, 30)
    assert data.train_labels.dtype == torch.int64
    again = load_mnist(tmp_path)  # the split is fixed by a seed
    assert torch.equal(data.val_images, again.val_images)


def test_augment_keeps_shape_and_range_and_is_seeded():
    images = to_inputs(torch.randint(0, 256, (8, 28, 28), dtype=torch.uint8))
    labels = torch.arange(8) % 2  # half of them 1s, which may get a flag
    first = augment(images, labels, torch.Generator().manual_seed(3), CONTINENTAL)
    second = augment(images, labels, torch.Generator().manual_seed(3), CONTINENTAL)
    assert first.shape == (8, 28, 28) and torch.equal(first, second)
    assert first.min() >= 0 and first.max() <= 1 and not torch.equal(first, images)


def test_add_flags_draws_only_on_chosen_ones_and_only_adds_ink():
    images = torch.zeros(64, 28, 28)
    images[:, 4:24, 14] = 1.0  # a bare vertical 1
    is_one = torch.arange(64) < 32
    flagged = add_flags(images, is_one, torch.Generator().manual_seed(0), Flags())
    changed = (flagged != images).flatten(1).any(1)
    assert changed[:32].any() and not changed[32:].any()
    assert torch.all(flagged >= images)
    # The flag starts at the top of the stroke and runs down to the left.
    ink_left_of_stem = flagged[changed][:, 4:14, :14].sum((1, 2))
    assert torch.all(ink_left_of_stem > 1.0)


def test_a_flagged_one_is_framed_again_as_the_service_frames_it():
    images = torch.zeros(64, 28, 28)
    images[:, 4:24, 14] = 1.0  # a bare 1, its mass centred on row 13.5 and column 14
    flagged = add_flags(images, torch.ones(64, dtype=torch.bool), torch.Generator().manual_seed(0), CONTINENTAL)
    changed = (flagged != images).flatten(1).any(1)
    mass = flagged[changed].sum((1, 2))
    centre_x = (flagged[changed].sum(1) * torch.arange(28.0)).sum(1) / mass
    assert changed.float().mean() > 0.3 and torch.all((centre_x - 14).abs() < 0.5)  # the flag would pull it left


def test_add_flags_draws_the_same_numbers_whatever_the_labels():
    """The draws do not depend on how many 1s a batch holds: augmenting later batches stays the same."""
    images = to_inputs(torch.randint(0, 256, (16, 28, 28), dtype=torch.uint8))
    after = []
    for is_one in (torch.zeros(16, dtype=torch.bool), torch.ones(16, dtype=torch.bool)):
        generator = torch.Generator().manual_seed(5)
        add_flags(images, is_one, generator, CONTINENTAL)
        after.append(torch.rand(4, generator=generator))
    assert torch.equal(after[0], after[1])


@pytest.mark.parametrize("shape", [(1, 1, 28, 28), (7, 1, 28, 28), (3, 5, 9), (2, 1, 1)])
def test_spread_maximum_is_max_pool_3x3(shape):
    images = torch.rand(shape) * (torch.rand(shape) > 0.6)
    pooled = F.max_pool2d(images.view(-1, 1, *shape[-2:]), 3, stride=1, padding=1).view(shape)
    assert torch.equal(spread_maximum(images), pooled)
