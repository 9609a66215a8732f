"""Readers for the container and cluster files, and the two offline validators of the manifests.

dockerfile()                 # instructions, continuation lines joined, comments dropped
compose("docker-compose.yml")
manifests()                  # [(path, document)] of every Kubernetes manifest under deploy/kubernetes
validate_builtin(document)   # kubernetes-validate's bundled strict schemas
validate_kserve(document)    # KServe's own models (the kserve package), strictly
"""

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from tests.deploy import ROOT

KUBERNETES = ROOT / "deploy/kubernetes"
# The oldest Kubernetes still supported upstream when this was written, and the newest with bundled schemas.
KUBERNETES_VERSIONS = ("1.32", "latest")
KSERVE_GROUP = "serving.kserve.io/"
# One worker's resident memory while it decodes four 40-megapixel images at once (torch's CPU build):
# the least memory limit for a container that runs the service.
WORKER_PEAK = 1200 * 1000 * 1000


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


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    """Every document of every manifest (kustomization.yaml apart); an empty document is an error."""
    found = []
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents = list(yaml.safe_load_all(path.read_text()))
        assert documents and all(isinstance(document, dict) for document in documents), f"{path}: empty document"
        found += [(path.relative_to(ROOT), document) for document in documents]
    return found


def validate_builtin(document: dict[str, Any]) -> None:
    """kubernetes-validate, strict (unknown fields fail), offline (its bundled schemas), for each version.

    Where it has no schema (a custom resource, a misspelt kind) its command line warns and passes;
    here SchemaNotFoundError propagates, so a skipped document fails."""
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(
            document, kubernetes_validate.latest_version() if version == "latest" else version, strict=True
        )


PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "object": (str, int, float, dict, list, bool),
    "datetime": (str,),
    "date": (str,),
    "bytes": (str,),
    "ResourceQuantity": (str, int, float),
}


def strict_model(data: Any, type_name: str, where: str = "") -> Any:
    """Build KServe's (or the Kubernetes client's) OpenAPI model of `type_name` from `data`, refusing any
    field the model does not define and any value of the wrong type. The generated setters refuse a
    missing required field."""
    import kserve.models
    import kubernetes.client.models

    if inner := re.fullmatch(r"[Ll]ist\[(.+)\]", type_name):
        assert isinstance(data, list), f"{where}: expected a list, got {data!r}"
        return [strict_model(item, inner[1], f"{where}[{i}]") for i, item in enumerate(data)]
    if inner := re.fullmatch(r"dict\(str, (.+)\)|Dict\[str, (.+)\]", type_name):
        assert isinstance(data, dict) and all(isinstance(key, str) for key in data), f"{where}: expected a map"
        return {key: strict_model(value, inner[1] or inner[2], f"{where}.{key}") for key, value in data.items()}
    if type_name in PRIMITIVES:
        wrong_bool = isinstance(data, bool) and type_name in {"int", "float"}
        assert isinstance(data, PRIMITIVES[type_name]) and not wrong_bool, f"{where}: {data!r} is not {type_name}"
        return data
    model = getattr(kserve.models, type_name, None) or getattr(kubernetes.client.models, type_name)
    assert isinstance(data, dict), f"{where}: expected an object ({type_name}), got {data!r}"
    attribute = {key: name for name, key in model.attribute_map.items()}
    unknown = sorted(set(data) - set(attribute))
    assert not unknown, f"{where or type_name}: {type_name} has no field {', '.join(unknown)}"
    fields = {
        attribute[key]: strict_model(value, model.openapi_types[attribute[key]], f"{where}.{key}")
        for key, value in data.items()
    }
    return model(**fields)


def validate_kserve(document: dict[str, Any]) -> Any:
    """KServe's own schema: the kserve package's model of the kind, e.g. V1beta1InferenceService."""
    group_version = document["apiVersion"].removeprefix(KSERVE_GROUP)
    assert document["apiVersion"] == KSERVE_GROUP + group_version, document["apiVersion"]
    model = f"V{group_version[1:].capitalize()}{document['kind']}"  # v1beta1 -> V1beta1
    return strict_model(document, model)
