"""The container files' promises, checked without an engine: non-root, read-only, limited, locked, lean.

pytest tests/deploy/test_containers.py
scripts/check-containers          # adds hadolint and the Compose schema
scripts/container-smoke           # builds and runs it all with podman (minutes)
"""

import fnmatch
import re
from typing import Any

import pytest

from tests.deploy.files import ROOT, WORKER_PEAK, compose, dockerfile, environment

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.scale.yml")
MIB = 1024 * 1024


def test_dockerfile_is_multi_stage_from_debian_slim() -> None:
    stages = [line for line in dockerfile() if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert stages[0].startswith("FROM debian:bookworm-slim ")


def test_dockerfile_installs_the_lock_with_hashes_then_torch_then_the_code() -> None:
    lines = dockerfile()
    installs = [i for i, line in enumerate(lines) if "pip install" in line]
    lock, torch = installs
    assert "--require-hashes" in lines[lock] and "-r /requirements/lock.txt" in lines[lock]
    assert "-r /requirements/torch.txt" in lines[torch] and "--require-hashes" not in lines[torch]
    assert lines.index("COPY requirements/lock.txt /requirements/") < lock < torch
    # Local wheels make a step offline: find-links alone, never beside an index.
    assert "${LOCK_FIND_LINKS:+--no-index}" in lines[lock]
    assert 'if [ -n "$TORCH_FIND_LINKS" ]; then set -- --no-index "$@"' in lines[torch]
    code_copies = [i for i, line in enumerate(lines) if re.match(r"COPY (app|training|models_store)/", line)]
    assert len(code_copies) == 3
    assert torch < min(code_copies)
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
        "tests/deploy/test_containers.py",
        ".venv/bin/python",
        ".git/HEAD",
        "artifacts/x.png",
        "README.md",
        "app/__pycache__/main.cpython-311.pyc",
        "scripts/container-smoke",
        "deploy/kubernetes/kustomization.yaml",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert dockerignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "requirements/lock.txt",
        "requirements/torch.txt",
        "app/main.py",
        "training/model.py",
        "models_store/mnist-lstm-128/card.json",
        "deploy/train-zoo",
    ],
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
    assert {"RNNLAB_MODELS_DIR", "RNNLAB_TORCH_THREADS", "RNNLAB_WORKERS"} <= env.keys()


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
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in scale["lb"]["volumes"]
    assert re.search(r"server\s+api:8000", (ROOT / "deploy/nginx.conf").read_text())


def services() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for name in COMPOSE_FILES:
        for service, spec in compose(name)["services"].items():
            merged.setdefault(service, {}).update(spec)
    return merged


def defaults(text: str) -> list[str]:
    """The value of each variable reference with a default, e.g. ${RNNLAB_IMAGE:-...}."""
    return re.findall(r"\$\{\w+:?-([^}]*)\}", text)


@pytest.mark.parametrize("name", ["api", "train", "lb"])
def test_images_are_fully_qualified_and_versioned(name: str) -> None:
    (image,) = defaults(services()[name]["image"]) or [services()[name]["image"]]
    registry, _, rest = image.partition("/")
    assert "." in registry or registry == "localhost", f"{image}: podman refuses short names"
    assert ":" in rest and not rest.endswith(":latest"), f"{image}: a versioned tag, never latest"


@pytest.mark.parametrize("name", ["api", "train", "lb"])
def test_every_service_has_cpu_memory_and_pids_limits(name: str) -> None:
    limits = services()[name]["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0
    assert re.fullmatch(r"\d+[mg]", limits["memory"])
    assert int(limits["pids"]) > 0


def size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([kmg]?)", text.lower())
    assert match, text
    return int(match[1]) * {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}[match[2]]


def test_api_tmp_holds_32_spooled_uploads_within_its_memory() -> None:
    from app.settings import Settings

    api = services()["api"]
    (tmpfs,) = api["tmpfs"]
    mount, _, options = tmpfs.partition(":")
    tmp = size(dict(option.split("=") for option in options.split(","))["size"])
    assert mount == "/tmp"
    assert tmp >= 32 * Settings().max_upload_bytes
    # A tmpfs is memory: the limit holds it and one worker decoding four of the largest images at once.
    assert size(api["deploy"]["resources"]["limits"]["memory"]) >= tmp + WORKER_PEAK


def test_load_balancer_is_hardened_like_the_api() -> None:
    lb = services()["lb"]
    assert lb["read_only"] is True
    assert lb["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in lb["security_opt"]
    assert any(entry.startswith("/tmp:size=") for entry in lb["tmpfs"])
    assert "/lb/health" in " ".join(lb["healthcheck"]["test"])
    assert "unprivileged" in lb["image"]
    assert lb["ports"] == ["${RNNLAB_PORT:-8000}:8080"]
    conf = (ROOT / "deploy/nginx.conf").read_text()
    assert re.search(r"^\s*listen 8080;", conf, re.M)  # above 1024: no capability needed
    assert re.search(r"^pid /tmp/", conf, re.M)
    assert not re.search(r"^\s*user\s", conf, re.M)
    assert re.search(r"location = /lb/health", conf)


def test_every_compose_variable_is_documented() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in COMPOSE_FILES:
        for variable in sorted(set(re.findall(r"\$\{(\w+)", (ROOT / name).read_text()))):
            assert f"`{variable}`" in guide, f"{name} reads {variable}; docs/deploy.md does not explain it"
