"""app.cpus counts the CPUs a process may use from fake cgroup trees: v2, v1, nested, none."""

import os
from pathlib import Path

import pytest

from app.cpus import available_cpus, cgroup_quota

AFFINITY = len(os.sched_getaffinity(0))


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def quota(tmp_path: Path, proc_cgroup: str, files: dict[str, str]) -> float | None:
    write(tmp_path / "fs", files)
    (tmp_path / "fs").mkdir(exist_ok=True)
    write(tmp_path, {"cgroup": proc_cgroup})
    return cgroup_quota(tmp_path / "fs", tmp_path / "cgroup")


CASES = [
    ("v2 in a container: its own cgroup at the root", "0::/\n", {"cpu.max": "200000 100000\n"}, 2.0),
    ("v2 without a limit", "0::/\n", {"cpu.max": "max 100000\n"}, None),
    ("v2 root cgroup, which has no cpu.max", "0::/\n", {"cgroup.procs": "1\n"}, None),
    (
        "v2 on a host: the smallest quota on the path counts",
        "0::/kubepods/pod1/ctr\n",
        {"kubepods/cpu.max": "400000 100000", "kubepods/pod1/cpu.max": "150000 100000",
         "kubepods/pod1/ctr/cpu.max": "max 100000"},
        1.5,
    ),
    (
        "v2 path outside the namespace: the mount is the container's cgroup",
        "0::/../../docker/abc\n",
        {"cpu.max": "50000 100000"},
        0.5,
    ),
    (
        "v1 cpu,cpuacct",
        "12:cpu,cpuacct:/\n11:memory:/\n",
        {"cpu,cpuacct/cpu.cfs_quota_us": "300000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
        3.0,
    ),
    (
        "v1 without a limit",
        "2:cpuacct:/\n1:cpu:/\n0::/\n",
        {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"},
        None,
    ),
    (
        "v1 nested, hybrid with an empty v2 line",
        "1:cpu:/docker/abc\n0::/\n",
        {"cpu/docker/cpu.cfs_quota_us": "100000", "cpu/docker/cpu.cfs_period_us": "100000",
         "cpu/docker/abc/cpu.cfs_quota_us": "-1", "cpu/docker/abc/cpu.cfs_period_us": "100000"},
        1.0,
    ),
    ("garbage in cpu.max is ignored", "0::/\n", {"cpu.max": "lots\n"}, None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "proc", "files", "expected"), CASES, ids=[case[0] for case in CASES])
def test_cgroup_quota_reads_v1_and_v2(tmp_path, name, proc, files, expected):
    assert quota(tmp_path, proc, files) == expected


def test_no_proc_cgroup_means_no_quota(tmp_path):
    assert cgroup_quota(tmp_path, tmp_path / "missing") is None


@pytest.mark.parametrize(("cpu_max", "expected"), [("50000 100000", 1), ("150000 100000", 2), ("max 100000", AFFINITY)])
def test_available_cpus_is_the_affinity_capped_by_the_quota_rounded_up(tmp_path, cpu_max, expected):
    write(tmp_path, {"fs/cpu.max": cpu_max, "cgroup": "0::/\n"})
    assert available_cpus(tmp_path / "fs", tmp_path / "cgroup") == min(expected, AFFINITY)


def test_a_quota_above_the_affinity_leaves_the_affinity(tmp_path):
    write(tmp_path, {"fs/cpu.max": f"{(AFFINITY + 8) * 100000} 100000", "cgroup": "0::/\n"})
    assert available_cpus(tmp_path / "fs", tmp_path / "cgroup") == AFFINITY
