# rnnlab: the HTTP service with the trained model zoo (models_store/) baked in.
#
#   docker build -t rnnlab .              # torch from PyTorch's CPU wheel index
#   docker run --rm -p 8000:8000 rnnlab   # then: curl localhost:8000/health/ready
#
# Build arguments:
#   TORCH_INDEX_URL   the index torch and torchvision come from (default: PyTorch's CPU wheels).
#                     Set it empty to take them from PyPI (CUDA builds, about 5 GB larger).
#   TORCH_FIND_LINKS  directories or URLs of wheels, separated by spaces, searched first; e.g.
#                     wheels mounted into the build (podman build -v /opt/wheels:/wheels:ro ...).
#   PIP_CERT          the CA bundle pip trusts (a TLS-intercepting proxy's bundle, mounted in).
# Runtime environment: WEB_CONCURRENCY (uvicorn workers), RNNLAB_TORCH_THREADS (torch threads per
# worker) and every other RNNLAB_ setting of app/settings.py. See README.md, "Containers".

# --- python: Debian's Python, the base of every stage -------------------------------------------
FROM debian:bookworm-slim AS python
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# --- requirements: pyproject.toml's dependencies, torch apart so that its layer survives edits --
FROM python AS requirements
WORKDIR /requirements
COPY pyproject.toml .
RUN python3 -c "import re, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
is_torch = lambda d: re.match(r'torch(vision)?\b', d) is not None; \
open('torch.txt', 'w').write(''.join(d + '\n' for d in deps if is_torch(d))); \
open('rest.txt', 'w').write(''.join(d + '\n' for d in deps if not is_torch(d)))"

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
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_FIND_LINKS=
# COPY --from keys its cache on the file's content: editing other dependencies keeps this layer.
COPY --from=requirements /requirements/torch.txt /requirements/
RUN PIP_FIND_LINKS="$TORCH_FIND_LINKS" \
    pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} -r /requirements/torch.txt
COPY --from=requirements /requirements/rest.txt /requirements/
# torch stays as installed above: rest.txt does not name it.
RUN pip install -r /requirements/rest.txt

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
    WEB_CONCURRENCY=1 \
    RNNLAB_TORCH_THREADS=1 \
    RNNLAB_MODELS_DIR=/srv/rnnlab/models_store
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/ready' % os.environ.get('UVICORN_PORT', '8000'), timeout=4)"]
CMD ["python", "-m", "app"]
