"""The CPUs this process may use: its affinity mask, capped by its cgroup's CPU quota.

    from app.cpus import available_cpus
    available_cpus()        # 2 in a container limited to 2 CPUs on a 64-core node, where os.cpu_count() says 64

`python -m app` starts one uvicorn worker per CPU counted here. The affinity mask is what `taskset`
or a cpuset allows; the quota is what `docker run --cpus` or a Kubernetes CPU limit allows: cgroup
v2's cpu.max ("200000 100000": 2 CPUs; "max 100000": none), or v1's cpu.cfs_quota_us over
cpu.cfs_period_us (-1: none). Every cgroup from the process's own up to the root may set one; the
smallest counts. A fractional quota is rounded up: 1.5 CPUs run 2 workers.
"""

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def available_cpus(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """CPUs in the affinity mask, at most the cgroup quota (rounded up), at least 1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(cpus, 1)


def cgroup_quota(cgroup_root: Path, proc_cgroup: Path) -> float | None:
    """The smallest CPU quota, in CPUs, on the process's cgroup and its ancestors; None if none is set."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None  # not Linux, or no /proc: no quota known
    quotas: list[float] = []
    for line in lines:  # "hierarchy-id:controllers:path"; v2 is "0::/path"
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            quotas += v2_quotas(cgroup_root, path)
        elif "cpu" in controllers.split(","):
            mount = next((cgroup_root / name for name in ("cpu,cpuacct", "cpu") if (cgroup_root / name).is_dir()), None)
            if mount is not None:
                quotas += [q for d in ancestors(mount, path) if (q := v1_quota(d)) is not None]
    return min(quotas, default=None)


def ancestors(mount: Path, path: str) -> list[Path]:
    """The cgroup's directory and each above it up to the mount. Inside a container's cgroup
    namespace the path may not exist under the mount, which is then the container's own cgroup."""
    directory = mount / path.strip("/")
    if not directory.is_dir():
        return [mount]
    return [directory, *[parent for parent in directory.parents if parent.is_relative_to(mount)]]


def v2_quotas(cgroup_root: Path, path: str) -> list[float]:
    quotas = []
    for directory in ancestors(cgroup_root, path):
        try:
            limit, period = (directory / "cpu.max").read_text().split()
        except (OSError, ValueError):
            continue  # the root cgroup has no cpu.max
        if limit != "max" and float(period) > 0:
            quotas.append(float(limit) / float(period))
    return quotas


def v1_quota(directory: Path) -> float | None:
    try:
        limit = float((directory / "cpu.cfs_quota_us").read_text())
        period = float((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return limit / period if limit > 0 and period > 0 else None
