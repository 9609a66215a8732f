"""Every Kubernetes manifest validates offline: built-in kinds against kubernetes-validate's bundled strict
schemas, KServe's kinds against the kserve package's own models. Nothing is skipped.

pytest tests/deploy/test_kubernetes.py
"""

import copy
import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.files import KSERVE_GROUP, KUBERNETES, manifests, validate_builtin, validate_kserve, yaml

DOCUMENTS = manifests()
BUILTIN = [(path, doc) for path, doc in DOCUMENTS if not doc["apiVersion"].startswith(KSERVE_GROUP)]
KSERVE = [(path, doc) for path, doc in DOCUMENTS if doc["apiVersion"].startswith(KSERVE_GROUP)]


def ids(documents: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    return [f"{path.name}:{doc['kind']}" for path, doc in documents]


def test_the_manifests_are_all_there() -> None:
    kinds = sorted(doc["kind"] for _, doc in DOCUMENTS)
    expected = ["Deployment", "HorizontalPodAutoscaler", "InferenceService", "PodDisruptionBudget", "Service"]
    assert kinds == sorted([*expected, "ServingRuntime"])


@pytest.mark.parametrize(("path", "document"), BUILTIN, ids=ids(BUILTIN))
def test_builtin_kind_validates(path: Path, document: dict[str, Any]) -> None:
    validate_builtin(document)


@pytest.mark.parametrize(("path", "document"), KSERVE, ids=ids(KSERVE))
def test_kserve_kind_validates_against_kserves_models(path: Path, document: dict[str, Any]) -> None:
    built = validate_kserve(document)
    assert built.to_dict()["kind"] == document["kind"]


def first(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(doc for _, doc in DOCUMENTS if doc["kind"] == kind))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolcy="Always"),  # unknown field
        lambda d: d["spec"].update(replicas="two"),  # wrong type
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),  # required field
        lambda d: d.update(kind="Deployent"),  # no schema: the command line would only warn
    ],
    ids=["unknown-field", "wrong-type", "missing-required", "unknown-kind"],
)
def test_builtin_validation_fails_on_a_spoilt_deployment(spoil: Any) -> None:
    deployment = first("Deployment")
    spoil(deployment)
    with pytest.raises((kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError)):
        validate_builtin(deployment)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["spec"]["predictor"].update(protocolVersoin="v2"),  # unknown field
        lambda d: d["spec"]["predictor"]["model"].update(modelFormat="rnnlab"),  # wrong type
        lambda d: d["spec"]["predictor"]["model"].pop("modelFormat"),  # required field
        lambda d: d["spec"]["predictor"].update(minReplicas=True),  # a bool is no int
        lambda d: d.update(kind="InferenceServce"),  # no such model
    ],
    ids=["unknown-field", "wrong-type", "missing-required", "bool-for-int", "unknown-kind"],
)
def test_kserve_validation_fails_on_a_spoilt_inference_service(spoil: Any) -> None:
    service = first("InferenceService")
    spoil(service)
    with pytest.raises((AssertionError, ValueError, AttributeError)):
        validate_kserve(service)


def test_kustomization_lists_every_plain_manifest_and_pins_the_image() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    plain = sorted(str(path.relative_to(KUBERNETES)) for path in (KUBERNETES / "rnnlab").glob("*.yaml"))
    assert sorted(kustomization["resources"]) == plain
    (image,) = kustomization["images"]
    deployment = first("Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert f"{image['name']}:{image['newTag']}" == deployment


def test_validation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both validators read only what their packages ship: with sockets refused, everything still validates."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("no network in this test")

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    for _, document in BUILTIN:
        validate_builtin(document)
    for _, document in KSERVE:
        validate_kserve(document)
