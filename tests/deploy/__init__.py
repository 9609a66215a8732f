"""Checks of the container and cluster files (Dockerfile, Compose, Kubernetes, the lock), offline."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
