"""The manifests, the Dockerfile, Compose and the app agree: image and tag, port, probe paths, one worker
per pod, the pod's hardening and its /tmp. The probe paths are asked of the app itself.

pytest tests/deploy/test_agreement.py
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.deploy import ROOT, pyproject
from tests.deploy.files import WORKER_PEAK, compose, dockerfile, manifests

DOCUMENTS = manifests()
VERSION = pyproject()["project"]["version"]
IMAGE = f"registry.example.com/rnnlab:{VERSION}"  # the README says to replace the registry
QUANTITY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def kind(name: str) -> dict[str, Any]:
    return next(doc for _, doc in DOCUMENTS if doc["kind"] == name)


def containers() -> list[dict[str, Any]]:
    """Every container that runs the image: the Deployment's and the ServingRuntime's."""
    deployment, runtime = kind("Deployment")["spec"]["template"]["spec"], kind("ServingRuntime")["spec"]
    return [*deployment["containers"], *runtime["containers"]]


def probes(container: dict[str, Any]) -> dict[str, str]:
    return {
        name: container[name]["httpGet"]["path"]
        for name in ("startupProbe", "livenessProbe", "readinessProbe")
        if name in container
    }


def instruction(keyword: str) -> str:
    (found,) = [line.split(maxsplit=1)[1] for line in dockerfile() if line.startswith(keyword + " ")][-1:]
    return found


def quantity(text: str) -> int:
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", text)
    assert match, text
    return int(match[1]) * QUANTITY[match[2]]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as started:  # the lifespan loads the committed zoo
        yield started


def test_every_manifest_runs_the_versioned_image() -> None:
    images = [container["image"] for container in containers()]
    assert images == [IMAGE] * len(images)
    assert not any(":latest" in str(doc) for _, doc in DOCUMENTS)
    api_image = compose("docker-compose.yml")["x-rnnlab-image"]["image"]
    assert api_image.endswith(f":-localhost/rnnlab:{VERSION}}}")


def test_the_port_is_the_dockerfiles() -> None:
    exposed = instruction("EXPOSE")
    assert f"UVICORN_PORT={exposed}" in " ".join(line for line in dockerfile() if line.startswith("ENV "))
    for container in containers():
        assert [port["containerPort"] for port in container["ports"]] == [int(exposed)]
    deployment = kind("Deployment")["spec"]["template"]["spec"]["containers"][0]
    (service_port,) = kind("Service")["spec"]["ports"]
    assert service_port["targetPort"] == deployment["ports"][0]["name"]
    assert compose("docker-compose.yml")["services"]["api"]["ports"] == [f"${{RNNLAB_PORT:-8000}}:{exposed}"]


def test_the_command_serves_the_app() -> None:
    """uvicorn on app.main:app, or the service's own launcher (`python -m app`) where there is one."""
    commands = ['["uvicorn", "app.main:app"]']
    if (ROOT / "app/__main__.py").is_file():
        commands.append('["python", "-m", "app"]')
    assert instruction("CMD") in commands
    assert all("command" not in container and "args" not in container for container in containers())


def test_readiness_is_the_dockerfiles_healthcheck() -> None:
    healthcheck = re.search(r"127\.0\.0\.1:%s(/\S+?)'", instruction("HEALTHCHECK"))
    assert healthcheck
    for container in containers():
        assert probes(container)["readinessProbe"] == healthcheck[1]


def test_every_probe_path_answers_200_from_the_app(client: TestClient) -> None:
    paths = {path for container in containers() for path in probes(container).values()}
    compose_check = " ".join(compose("docker-compose.yml")["services"]["api"]["healthcheck"]["test"])
    paths.add(re.findall(r"8000(/[\w/]+)", compose_check)[0])
    assert {"/health/live", "/health/ready"} <= paths
    for path in sorted(paths):
        assert client.get(path).status_code == 200, path


def test_one_worker_per_pod() -> None:
    for container in containers():
        env = {item["name"]: item["value"] for item in container["env"]}
        assert env["RNNLAB_WORKERS"] == env["RNNLAB_TORCH_THREADS"] == "1"
        assert env["RNNLAB_SPOOL_DIR"] == "/tmp"


def test_pods_are_hardened() -> None:
    pod = kind("Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(instruction("USER").split(":")[0])
    assert kind("InferenceService")["spec"]["predictor"]["automountServiceAccountToken"] is False
    for container in containers():
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["requests"].keys() >= {"cpu", "memory"}
        assert container["resources"]["limits"].keys() >= {"cpu", "memory"}
        assert quantity(container["resources"]["limits"]["memory"]) >= WORKER_PEAK


@pytest.mark.parametrize("owner", ["Deployment", "ServingRuntime"])
def test_tmp_is_a_sized_empty_dir_for_32_uploads(owner: str) -> None:
    spec = kind(owner)["spec"]
    pod = spec["template"]["spec"] if owner == "Deployment" else spec
    (container,) = pod["containers"]
    (mount,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
    (volume,) = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
    assert quantity(volume["emptyDir"]["sizeLimit"]) >= 32 * Settings().max_upload_bytes
    assert "medium" not in volume["emptyDir"]  # on disk: a Memory medium would count against the memory limit


def test_service_pdb_and_hpa_find_the_deployment() -> None:
    deployment = kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert kind("Service")["spec"]["selector"].items() <= labels.items()
    assert kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = kind("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])


def test_kserve_serves_the_runtime_with_protocol_v2() -> None:
    runtime, service = kind("ServingRuntime"), kind("InferenceService")
    model = service["spec"]["predictor"]["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    assert model["protocolVersion"] == "v2" and "v2" in runtime["spec"]["protocolVersions"]
    assert model["modelFormat"]["name"] in {fmt["name"] for fmt in runtime["spec"]["supportedModelFormats"]}
    assert [container["name"] for container in runtime["spec"]["containers"]] == ["kserve-container"]
