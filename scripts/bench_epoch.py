"""One training epoch: rnnlab's tensor pipeline against the seed notebook's, side by side.

    python scripts/bench_epoch.py                       # mnist-lstm-128, batch 500, 3 rounds, 1 thread
    python scripts/bench_epoch.py --model mnist-gru-128 --rounds 5

The seed read MNIST through torchvision's MNIST dataset with a ToTensor transform in a
DataLoader (one PIL image per sample), and trained in float32. rnnlab holds the images in
one uint8 tensor and slices batches from it, with its default recipe otherwise: augmentation
on, and bfloat16 autocast where the CPU computes it natively (training.runtime.native_bfloat16;
float32 elsewhere, so the ratio is near 0.9 there). Both train the same model at the seed's
batch size; rounds alternate, so machine noise hits both, and the medians and their ratio
are printed.
"""

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from tqdm import tqdm

from training.mnist import default_data_dir, find_idx, load_mnist
from training.model import build_model
from training.train_mnist import precision, train_one_epoch
from training.zoo import DIGIT_ZOO, MnistRecipe


def seed_epoch(model: torch.nn.Module, loader: DataLoader) -> float:
    """The seed's loop: DataLoader over ToTensor images, reshaped to (batch, 28, 28)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    started = time.perf_counter()
    for images, labels in loader:
        loss = F.cross_entropy(model(images.view(-1, 28, 28)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


def rnnlab_epoch(model: torch.nn.Module, data, recipe: MnistRecipe) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    started = time.perf_counter()
    with tqdm(total=len(data.train_images), disable=True) as progress:
        train_one_epoch(model, data, optimizer, schedule, recipe, torch.Generator().manual_seed(0), progress)
    return time.perf_counter() - started


def torchvision_root(data_dir: Path, into: Path) -> Path:
    """Decompress the IDX files where torchvision's MNIST(download=False) looks for them."""
    raw = into / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        source = find_idx(data_dir, stem)
        raw_bytes = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
        (raw / stem).write_bytes(raw_bytes)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mnist-lstm-128", choices=list(DIGIT_ZOO))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both (1 is steadiest on a busy box)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data_dir = args.data_dir or default_data_dir()
    data = load_mnist(data_dir)
    recipe = MnistRecipe(batch_size=500)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = datasets.MNIST(
            str(torchvision_root(data_dir, Path(tmp))), train=True, transform=transforms.ToTensor()
        )
        dataset = torch.utils.data.Subset(dataset, range(len(data.train_images)))  # the same 50,000 images
        loader = DataLoader(dataset, batch_size=500, shuffle=True)
        seed_times, ours = [], []
        for round_ in range(1, args.rounds + 1):
            seed_times.append(seed_epoch(build_model("digits", DIGIT_ZOO[args.model].config), loader))
            ours.append(rnnlab_epoch(build_model("digits", DIGIT_ZOO[args.model].config), data, recipe))
            print(f"round {round_}: seed pipeline {seed_times[-1]:.2f} s, rnnlab {ours[-1]:.2f} s")
    seed_median, our_median = statistics.median(seed_times), statistics.median(ours)
    ours_in = precision(recipe, torch.device("cpu"))
    print(
        f"{args.model}, batch 500, {torch.get_num_threads()} threads, {args.rounds} rounds: "
        f"median epoch seed {seed_median:.2f} s (float32), rnnlab {our_median:.2f} s ({ours_in}), "
        f"ratio {our_median / seed_median:.2f}"
    )


if __name__ == "__main__":
    main()
