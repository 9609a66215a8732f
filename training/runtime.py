"""What every trainer shares: device choice, mixed precision, seeding, thread count, package versions."""

import platform
import random
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import torch

PACKAGES = ("torch", "numpy", "safetensors", "rnnlab")


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def native_bfloat16(device: torch.device) -> bool:
    """Whether the hardware computes bfloat16 natively (CUDA; CPUs with AVX512-BF16 or AMX).
    Elsewhere bfloat16 is emulated, and slower than float32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's, private: probed, not required
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


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
