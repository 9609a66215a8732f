"""What every trainer shares: device choice, seeding, thread count, package versions."""

import platform
import random
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import torch

PACKAGES = ("torch", "numpy", "safetensors", "rnnlab")


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a generator for the trainer's own draws."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def package_versions() -> dict[str, Any]:
    versions: dict[str, Any] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    versions["threads"] = torch.get_num_threads()
    return versions
