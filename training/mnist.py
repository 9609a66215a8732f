"""MNIST as tensors: the IDX reader, the 50,000/10,000/10,000 split, and batched augmentation.

    from training.mnist import load_mnist
    data = load_mnist()               # ../shared/mnist if present, else a torchvision download
    data.train_images.shape           # (50000, 28, 28) uint8

Everything is loaded into tensors once; augmentation runs on whole batches, so the
training loop never touches PIL.
"""

import gzip
import math
import struct
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training import strokes

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "mnist"
CACHE_DIR = Path.home() / ".cache" / "rnnlab" / "mnist"
VALIDATION_SIZE = 10_000
SPLIT_SEED = 0  # fixes which 10,000 training images are held out for validation
IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into an array of its declared shape."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(IDX_DTYPES[raw[2]])
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise ValueError(f"{path}: header says {shape}, found {data.size} values")
    return data.reshape(shape)


@dataclass
class Mnist:
    train_images: torch.Tensor  # (50000, 28, 28) uint8
    train_labels: torch.Tensor  # (50000,) int64
    val_images: torch.Tensor  # (10000, 28, 28) uint8
    val_labels: torch.Tensor
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor


def find_idx(data_dir: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz", f"MNIST/raw/{stem}", f"MNIST/raw/{stem}.gz"):
        if (data_dir / name).is_file():
            return data_dir / name
    raise FileNotFoundError(f"no {stem}[.gz] in {data_dir}")


def default_data_dir() -> Path:
    """../shared/mnist beside the project when present; else download once into the user cache."""
    if SHARED_MNIST.is_dir():
        return SHARED_MNIST
    if not (CACHE_DIR / "MNIST" / "raw").is_dir():
        from torchvision.datasets import MNIST  # only users who are online reach this

        for train in (True, False):
            MNIST(str(CACHE_DIR), train=train, download=True)
    return CACHE_DIR


def load_test_set(data_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 test images (uint8) and labels."""
    root = Path(data_dir) if data_dir else default_data_dir()
    images = torch.from_numpy(read_idx(find_idx(root, "t10k-images-idx3-ubyte")).copy())
    labels = torch.from_numpy(read_idx(find_idx(root, "t10k-labels-idx1-ubyte")).astype(np.int64))
    return images, labels


def load_mnist(data_dir: str | Path | None = None) -> Mnist:
    """Train/validation split of the training set, fixed by SPLIT_SEED, and the test set."""
    root = Path(data_dir) if data_dir else default_data_dir()
    images = torch.from_numpy(read_idx(find_idx(root, "train-images-idx3-ubyte")).copy())
    labels = torch.from_numpy(read_idx(find_idx(root, "train-labels-idx1-ubyte")).astype(np.int64))
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(SPLIT_SEED))
    train, val = order[VALIDATION_SIZE:], order[:VALIDATION_SIZE]
    test_images, test_labels = load_test_set(root)
    return Mnist(images[train], labels[train], images[val], labels[val], test_images, test_labels)


def to_inputs(images: torch.Tensor) -> torch.Tensor:
    """uint8 (batch, 28, 28) -> float (batch, 28 steps, 28 features) in [0, 1]."""
    return images.float().div_(255.0)


@dataclass(frozen=True)
class Flags:
    """How add_flags draws the continental flag: on a share of the augmented 1s, 0.25 of the 1's height
    long up to `longest`, and whether the flagged 1 is framed again as the service frames an upload.
    FIRST_FLAGS are the first recipes', CONTINENTAL today's."""

    share: float = 0.3
    longest: float = 0.45
    framed: bool = False


FIRST_FLAGS = Flags()
CONTINENTAL = Flags(share=0.5, longest=0.6, framed=True)  # a continental flag is often half the 1's height
FLAG_ANGLE = (0.5, 1.0)  # radians below the horizontal


def uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def add_flags(images: torch.Tensor, is_one: torch.Tensor, generator: torch.Generator, flags: Flags) -> torch.Tensor:
    """Draw the flag that many writers outside the US put on a 1 onto some of the 1s.

    MNIST's writers mostly wrote a 1 as a bare stroke, so models trained on it read a
    flagged 1 as a 7. The flag is a short stroke from the top of the digit, down to the left.
    With flags.framed, the flagged 1 is framed again (strokes.reframe), as the service would frame
    its upload. images: float (batch, 28, 28); is_one: bool (batch,).
    """
    n = images.shape[0]
    # Every image draws its numbers, so that the generator's later draws do not depend on the labels.
    length_share = uniform(n, 0.25, flags.longest, generator)
    angle = uniform(n, *FLAG_ANGLE, generator)
    chosen = is_one & (torch.rand(n, generator=generator) < flags.share)
    flagged = images[chosen]  # (k, 28, 28): the strokes are drawn for these alone
    k = flagged.shape[0]
    inked_rows = (flagged > 0.5).any(dim=2)  # (k, 28)
    top = inked_rows.float().argmax(dim=1)  # first inked row
    height = 28 - inked_rows.flip(1).float().argmax(dim=1) - top
    top_row = flagged[torch.arange(k), top] > 0.5  # (k, 28 columns)
    top_col = (top_row * torch.arange(28.0)).sum(1) / top_row.sum(1).clamp(min=1)
    length, angle = height * length_share[chosen], angle[chosen]
    start = torch.stack([top_col, top.float()], dim=1)  # (k, (x, y))
    end = start + length.unsqueeze(1) * torch.stack([-torch.cos(angle), torch.sin(angle)], dim=1)
    stroke = (1.5 - strokes.segment_distance(start, end)).clamp(0, 1)  # (k, 28, 28): 2-3 px, anti-aliased
    images = images.clone()
    flagged = torch.maximum(flagged, stroke)
    images[chosen] = strokes.reframe(flagged) if flags.framed else flagged
    return images


def spread_maximum(images: torch.Tensor) -> torch.Tensor:
    """(..., h, w) -> each pixel's maximum over its 3x3 neighbourhood, clipped at the edges.

    The same as F.max_pool2d(images, 3, stride=1, padding=1), bit for bit, by shifted maxima
    along rows, then columns: 8 times faster on these small single-channel images.
    """
    rows = images.clone()
    rows[..., 1:, :] = torch.maximum(rows[..., 1:, :], images[..., :-1, :])
    rows[..., :-1, :] = torch.maximum(rows[..., :-1, :], images[..., 1:, :])
    grown = rows.clone()
    grown[..., 1:] = torch.maximum(grown[..., 1:], rows[..., :-1])
    grown[..., :-1] = torch.maximum(grown[..., :-1], rows[..., 1:])
    return grown


def augment(images: torch.Tensor, labels: torch.Tensor, generator: torch.Generator, flags: Flags) -> torch.Tensor:
    """Flagged 1s, random slant, rotation, scale, shift and stroke width, on a float batch (batch, 28, 28).

    Preprocessing already normalises size and position, so the ranges are modest; they
    cover what it cannot remove: slanted writing, rotated photos, thick marker strokes,
    and a writing style MNIST lacks.
    """
    images = add_flags(images, labels == 1, generator, flags)
    n = images.shape[0]
    draw = partial(uniform, n, generator=generator)  # draw(low, high): one value per image
    angle = draw(-0.2, 0.2)  # radians, about ±11°
    shear = draw(-0.3, 0.3)  # slant
    scale = draw(0.85, 1.1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, draw(-0.12, 0.12)], dim=1),
            torch.stack([sin, cos + shear * sin, draw(-0.12, 0.12)], dim=1),
        ],
        dim=1,
    )  # (batch, 2, 3) affine maps from output to input coordinates
    grid = F.affine_grid(theta, [n, 1, 28, 28], align_corners=False)
    warped = F.grid_sample(images.unsqueeze(1), grid, align_corners=False, padding_mode="zeros")
    # Thicken strokes in a random share of the batch, by a random amount.
    thick = spread_maximum(warped)
    amount = (draw(-1.0, 1.0).clamp(min=0.0)).view(n, 1, 1, 1)
    return (warped + amount * (thick - warped)).squeeze(1)
