"""Every knob of the service, read once from the environment (prefix RNNLAB_).

    RNNLAB_MODELS_DIR=/srv/models RNNLAB_MAX_BITS=2000 uvicorn app.main:app
    RNNLAB_MICRO_BATCHING=false uvicorn app.main:app      # one forward pass per request

    from app.settings import Settings
    Settings(max_upload_bytes=1024)      # tests pass overrides directly

Each field is one variable: `max_bits` is RNNLAB_MAX_BITS.
"""

from pathlib import Path

from pydantic import DirectoryPath, Field, NonNegativeFloat, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkpoints committed next to the package (the repo's models_store/), so that the
# service finds them whatever the working directory; a non-editable install sets MODELS_DIR.
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models_store"
MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RNNLAB_", frozen=True)

    # The model store: one checkpoint directory (card.json, model.safetensors, *.png) per model.
    models_dir: Path = Field(default=DEFAULT_MODELS_DIR)
    # Cap on a request body in bytes, multipart overhead included; counted as the body arrives.
    max_upload_bytes: PositiveInt = Field(default=10 * MIB)
    # Cap on an image's width x height, checked from its header before decoding (no decompression bombs);
    # at least MNIST's 28 x 28.
    max_pixels: int = Field(default=40_000_000, ge=28 * 28)
    # Cap on the length of each operand of /add.
    max_bits: PositiveInt = Field(default=10_000)
    # Cap on the length of each operand of /add with "steps": true; the states grow with the sum.
    max_step_bits: PositiveInt = Field(default=256)
    # /classify's default model; empty: the best by test accuracy.
    default_digit_model: str = Field(default="")
    # /add's default model; empty: the best by exact-sum accuracy (then by long sums).
    default_adder_model: str = Field(default="")
    # torch intra-op threads per process: small models answer fastest on one; parallelism comes
    # from concurrent requests and uvicorn workers.
    torch_threads: PositiveInt = Field(default=1)
    # Preprocessing calls running at once in each worker's thread pool; the rest wait their turn.
    # One: `python -m app` runs a worker per CPU already, and each further thread holds another
    # decoded upload in memory without adding throughput. Batches of model calls have a thread of
    # their own (app/batching.py).
    inference_concurrency: PositiveInt = Field(default=1)
    # Run concurrent /classify and /add requests for the same models in one forward pass (app/batching.py);
    # false: each request is a batch of one.
    micro_batching: bool = Field(default=True)
    # How long, in ms, the first request of a batch waits for others to join it.
    batch_wait_ms: NonNegativeFloat = Field(default=2.0, le=1000)
    # The most requests in one forward pass; under load, the next batch gathers while one runs.
    max_batch: PositiveInt = Field(default=16, le=4096)
    # The most images or sums in one Open Inference Protocol request (/v2/.../infer): a tensor's first dimension.
    max_infer_batch: PositiveInt = Field(default=256, le=65_536)
    # Cap on the /classify and /add requests a worker holds at once, from their body's arrival to their
    # answer; past it, a new one gets 503 with Retry-After (app/overload.py).
    max_queue: PositiveInt = Field(default=64)
    # The longest, in seconds, a request may wait for a preprocessing thread or for its batch; then 503.
    queue_timeout_s: PositiveFloat = Field(default=10.0)
    # The longest, in seconds, a request body may take to arrive; then 408.
    body_timeout_s: PositiveFloat = Field(default=30.0)
    # Where uploads over 1 MiB wait on disk while their request is handled; unset: the system's
    # temporary directory (TMPDIR). It must hold RNNLAB_MAX_QUEUE bodies (a tmpfs /tmp counts as memory).
    spool_dir: DirectoryPath | None = Field(default=None)
    # uvicorn workers that `python -m app` (scripts/serve, the container) starts; unset: one per
    # available CPU, from the affinity mask and the cgroup quota (app/cpus.py).
    workers: PositiveInt | None = Field(default=None)
