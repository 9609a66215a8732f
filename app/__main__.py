"""Serve rnnlab: one uvicorn worker per available CPU, with /metrics summed over the workers.

    python -m app                                   # 127.0.0.1:8000 (UVICORN_HOST, UVICORN_PORT)
    python -m app --host 0.0.0.0 --port 9000        # any uvicorn option
    RNNLAB_WORKERS=2 python -m app                  # a set number of workers

The workers are counted by app/cpus.py (affinity mask and cgroup quota); RNNLAB_WORKERS overrides
the count. Each worker loads every model. Their metrics meet in a fresh PROMETHEUS_MULTIPROC_DIR,
made under the temporary directory (TMPDIR) for this server and removed when it stops.
"""

import os
import sys
import tempfile

import uvicorn

from app.cpus import available_cpus
from app.settings import Settings


def main(argv: list[str]) -> None:
    workers = Settings().workers or available_cpus()
    with tempfile.TemporaryDirectory(prefix="rnnlab-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # read by each worker as it imports prometheus_client
        uvicorn.main.main(
            ["app.main:app", "--workers", str(workers), *argv], prog_name="python -m app", standalone_mode=False
        )


if __name__ == "__main__":
    main(sys.argv[1:])
