"""The image's lock agrees with pyproject.toml: offline, by reading the files, without re-resolving.

pytest tests/deploy/test_lock.py      # a failure lists every dependency that scripts/lock must add
"""

import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy import ROOT, pyproject

LOCK, TORCH = Path("requirements/lock.txt"), Path("requirements/torch.txt")
APART = {"torch", "torchvision"}  # pinned in requirements/torch.txt, installed from the build's index
# The image: Debian bookworm's CPython 3.11 on linux, amd64 or arm64.
IMAGE_ENVIRONMENTS = [
    default_environment()
    | {
        "python_version": "3.11",
        "python_full_version": "3.11.2",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    for machine in ("x86_64", "aarch64")
]


def pins(text: str) -> dict[str, tuple[Version, list[str]]]:
    """name -> (version, sha256 hashes) of a requirements file, continuation lines joined."""
    found = {}
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        pin = re.match(r"([A-Za-z0-9._-]+)==(\S+)", entry)
        if pin:
            found[canonicalize_name(pin[1])] = (Version(pin[2]), re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return found


def project_dependencies(root: Path = ROOT) -> list[Requirement]:
    dependencies = pyproject(root)["project"]["dependencies"]
    return [Requirement(text) for text in dependencies]


def lock_problems(root: Path = ROOT) -> list[str]:
    """Each [project.dependencies] entry missing from its pin file, or pinned where it does not allow."""
    locked, torch = pins((root / LOCK).read_text()), pins((root / TORCH).read_text())
    problems = []
    for requirement in project_dependencies(root):
        if requirement.marker and not any(requirement.marker.evaluate(env) for env in IMAGE_ENVIRONMENTS):
            continue  # never installed in the image
        name = canonicalize_name(requirement.name)
        where, file = (torch, TORCH) if name in APART else (locked, LOCK)
        if name not in where:
            problems.append(f"{requirement} is not in {file}")
        elif not requirement.specifier.contains(where[name][0], prereleases=True):
            problems.append(f"{requirement} does not allow {name}=={where[name][0]} in {file}")
    return problems


def test_every_project_dependency_is_locked_at_a_version_it_allows() -> None:
    problems = lock_problems()
    assert not problems, "run scripts/lock:\n  " + "\n  ".join(problems)


def test_every_locked_package_is_pinned_with_hashes() -> None:
    locked = pins((ROOT / LOCK).read_text())
    assert len(locked) >= len(project_dependencies()) - len(APART)
    assert all(hashes for _, hashes in locked.values()), [name for name, (_, h) in locked.items() if not h]
    # Every requirement line is a pin: pip's --require-hashes refuses anything looser.
    for entry in re.sub(r"\\\n", " ", (ROOT / LOCK).read_text()).splitlines():
        assert not entry.strip() or entry.lstrip().startswith("#") or re.match(r"[A-Za-z0-9._-]+==", entry), entry


def test_torch_is_apart_from_the_lock() -> None:
    locked, torch = pins((ROOT / LOCK).read_text()), pins((ROOT / TORCH).read_text())
    assert set(torch) == APART
    assert not set(locked) & {"torch", "torchvision", "triton"}
    assert not [name for name in locked if name.startswith(("nvidia-", "cuda-"))]
    assert all(not hashes for _, hashes in torch.values())  # by version only: the index differs by build


def test_the_check_names_what_is_missing(tmp_path: Path) -> None:
    """A dependency added to pyproject.toml without rerunning scripts/lock is reported by name."""
    text = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        text.replace("dependencies = [\n", 'dependencies = [\n    "left-out-package>=1",\n    "numpy<1",\n', 1)
    )
    (tmp_path / "requirements").mkdir()
    for pinned in (LOCK, TORCH):
        (tmp_path / pinned).write_text((ROOT / pinned).read_text())
    first, second, *rest = lock_problems(tmp_path)
    assert first == "left-out-package>=1 is not in requirements/lock.txt"
    assert second.startswith("numpy<1 does not allow numpy==")
    assert rest == lock_problems()  # nothing else: only what the real pyproject.toml may lack
