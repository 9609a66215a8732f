# rnnlab: the HTTP service with the trained model zoo (models_store/) baked in.
#
#   docker build -t localhost/rnnlab:0.1.0 .               # torch from PyTorch's CPU wheel index
#   docker run --rm -p 8000:8000 localhost/rnnlab:0.1.0    # then: curl localhost:8000/health/ready
#
# Python packages: requirements/lock.txt (every package but torch, pinned with its files' hashes, for
# CPython 3.11 on linux amd64 and arm64; scripts/lock writes it), then requirements/torch.txt (torch
# and torchvision by version, from the index below).
# Build arguments:
#   TORCH_INDEX_URL   the index torch and torchvision come from (default: PyTorch's CPU wheels).
#                     Set it empty to take them from PyPI (CUDA builds, about 5 GB larger).
#   TORCH_FIND_LINKS  directories of wheels, separated by spaces, mounted into the build: torch and
#                     torchvision (and for PyPI's CUDA builds their nvidia-*, cuda-* and triton wheels)
#                     come from them alone, with no index (pip --no-index).
#   LOCK_FIND_LINKS   the same for requirements/lock.txt: a directory of its wheels (docs/deploy.md,
#                     "Building offline"); the hashes are still checked. With both set, pip downloads
#                     nothing.
#   PIP_CERT          the CA bundle pip trusts (a TLS-intercepting proxy's bundle, mounted in at a path
#                     of its own: apt replaces /etc/ssl/certs/ca-certificates.crt, so not there).
# Runtime environment: RNNLAB_WORKERS (uvicorn workers; unset: one per CPU the container may use),
# RNNLAB_TORCH_THREADS (torch threads per worker) and every other RNNLAB_ setting of app/settings.py. See docs/deploy.md.

# --- python: Debian's Python, the base of every stage -------------------------------------------
FROM debian:bookworm-slim AS python
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# --- builder: a virtual environment with every dependency, no project code ----------------------
FROM python AS builder
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=120
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
# Everything but torch, exactly as locked: pip refuses any file whose hash the lock lacks.
ARG LOCK_FIND_LINKS=
COPY requirements/lock.txt /requirements/
RUN for dir in $LOCK_FIND_LINKS; do set -- "$@" --find-links "$dir"; done; \
    pip install --require-hashes --only-binary=:all: ${LOCK_FIND_LINKS:+--no-index} "$@" \
        -r /requirements/lock.txt
# torch and torchvision by version from the chosen index; their pure-Python dependencies (sympy,
# filelock...) are already installed from the lock, so only PyPI's CUDA builds add packages here.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_FIND_LINKS=
COPY requirements/torch.txt /requirements/
RUN for dir in $TORCH_FIND_LINKS; do set -- "$@" --find-links "$dir"; done; \
    if [ -n "$TORCH_FIND_LINKS" ]; then set -- --no-index "$@"; \
    elif [ -n "$TORCH_INDEX_URL" ]; then set -- --index-url "$TORCH_INDEX_URL"; fi; \
    pip install "$@" -r /requirements/torch.txt \
    && pip check

# --- runtime: the venv, the code and the checkpoints, run as a non-root user --------------------
FROM python AS runtime
RUN groupadd --gid 10001 rnnlab \
    && useradd --uid 10001 --gid rnnlab --create-home --home-dir /home/rnnlab --shell /usr/sbin/nologin rnnlab \
    && install -d -o rnnlab -g rnnlab /var/lib/rnnlab/zoo /data/mnist
COPY --from=builder /opt/venv /opt/venv
WORKDIR /srv/rnnlab
COPY deploy/train-zoo /usr/local/bin/rnnlab-train-zoo
COPY training/ training/
COPY app/ app/
COPY models_store/ models_store/
# Readable by the service's user whatever the checkout's modes (checkpoints may be written 0600).
RUN chmod -R a+rX app training models_store && python3 -m compileall -q app training
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/srv/rnnlab \
    MPLCONFIGDIR=/tmp/matplotlib \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    RNNLAB_TORCH_THREADS=1 \
    RNNLAB_MODELS_DIR=/srv/rnnlab/models_store
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/ready' % os.environ.get('UVICORN_PORT', '8000'), timeout=4)"]
CMD ["python", "-m", "app"]
