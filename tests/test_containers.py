"""The container files' promises, checked without an engine: non-root, read-only, probes, lean context.

pytest tests/test_containers.py
scripts/check-containers          # adds hadolint and the Compose schema
scripts/container-smoke           # builds and runs it all with podman (minutes)
"""

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]


class ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (!reset, !override) kept as plain values."""


ComposeLoader.add_constructor("!reset", lambda loader, node: None)
ComposeLoader.add_constructor(
    "!override",
    lambda loader, node: (
        loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_mapping(node)
    ),
)


def compose(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((ROOT / name).read_text(), Loader=ComposeLoader)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment", {})
    if isinstance(env, dict):
        return env
    return {key: value for key, _, value in (item.partition("=") for item in env)}


def dockerfile() -> list[str]:
    """Instructions, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_is_multi_stage_from_debian_slim() -> None:
    stages = [line for line in dockerfile() if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert stages[0].startswith("FROM debian:bookworm-slim ")


def test_dockerfile_installs_dependencies_before_the_code() -> None:
    lines = dockerfile()
    first_dependency_install = next(i for i, line in enumerate(lines) if "pip install" in line)
    code_copies = [i for i, line in enumerate(lines) if re.match(r"COPY (app|training|models_store)/", line)]
    assert len(code_copies) == 3
    assert first_dependency_install < min(code_copies)
    assert any(line.startswith("ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu") for line in lines)


def test_image_runs_as_non_root_with_a_readiness_healthcheck() -> None:
    lines = dockerfile()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert any(line.startswith("HEALTHCHECK ") and "/health/ready" in line for line in lines)


def dockerignored(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or a folder above it decides."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/").replace("**/", "*")
        parts = path.split("/")
        if any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern) for i in range(len(parts))):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_containers.py",
        ".venv/bin/python",
        ".git/HEAD",
        "artifacts/x.png",
        "README.md",
        "app/__pycache__/main.cpython-311.pyc",
        "scripts/container-smoke",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert dockerignored(path)


@pytest.mark.parametrize(
    "path",
    ["pyproject.toml", "app/main.py", "training/model.py", "models_store/mnist-lstm-128/card.json", "deploy/train-zoo"],
)
def test_dockerignore_lets_in(path: str) -> None:
    assert not dockerignored(path)


def test_api_service_is_published_probed_and_read_only() -> None:
    api = compose("docker-compose.yml")["services"]["api"]
    assert any(str(port).endswith(":8000") for port in api["ports"])
    assert "/health/ready" in " ".join(api["healthcheck"]["test"])
    assert api["read_only"] is True
    assert api["restart"] in {"always", "unless-stopped", "on-failure"}
    assert api.get("user") in {None, "10001", "10001:10001"}  # the image's non-root user
    env = environment(api)
    assert {"RNNLAB_MODELS_DIR", "RNNLAB_TORCH_THREADS", "WEB_CONCURRENCY"} <= env.keys()


def test_train_service_writes_the_volume_that_api_reads() -> None:
    services = compose("docker-compose.yml")["services"]
    train, api = services["train"], services["api"]
    assert train["profiles"] == ["train"]
    assert "zoo:/var/lib/rnnlab/zoo" in train["volumes"]
    assert "zoo:/var/lib/rnnlab/zoo:ro" in api["volumes"]
    assert any(volume.endswith(":/data/mnist") for volume in train["volumes"])


def test_scale_variant_puts_nginx_before_unpublished_replicas() -> None:
    scale = compose("docker-compose.scale.yml")["services"]
    assert scale["api"]["ports"] is None  # !reset: replicas publish no fixed host port
    assert "container_name" not in compose("docker-compose.yml")["services"]["api"]
    assert any("deploy/nginx.conf" in volume for volume in scale["lb"]["volumes"])
    assert re.search(r"server\s+api:8000", (ROOT / "deploy/nginx.conf").read_text())
