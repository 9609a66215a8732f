"""The Open Inference Protocol (/v2) with tritonclient: one batch of MNIST test digits, against /classify.

    .venv/bin/python scripts/bench_v2.py                     # 256 digits, mnist-gru-128, 5 rounds
    .venv/bin/python scripts/bench_v2.py --batch 64 --model mnist-bilstm-128

Starts a uvicorn on a free port (tests/conftest.py's Server) over the repo's models_store/, then
times, as medians of --rounds after one warm-up: one /v2 request of --batch digits as `pixels`
in binary data, the same as JSON, the digits as PNG files in `image` (binary data), and --batch
sequential /classify requests of the same PNGs. Needs MNIST's test files in ../shared/mnist.
"""

import argparse
import io
import statistics
import time
from collections.abc import Callable

import httpx
import numpy as np
import tritonclient.http as triton
from PIL import Image

from tests.conftest import MNIST_DIR, MODELS_DIR, Server
from training.mnist import read_idx


def median_ms(function: Callable[[], object], rounds: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--model", default="mnist-gru-128")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[: args.batch]
    pixels = images.astype(np.float32) / np.float32(255)  # (batch, 28, 28) in [0, 1]
    pngs = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    server = Server({"RNNLAB_MODELS_DIR": str(MODELS_DIR)})
    server.wait_until_ready()
    try:
        client = triton.InferenceServerClient(server.base_url.removeprefix("http://"), network_timeout=120)

        def infer_pixels(binary: bool) -> object:
            tensor = triton.InferInput("pixels", list(pixels.shape), "FP32")
            outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("probabilities", "digit")]
            return client.infer(args.model, [tensor.set_data_from_numpy(pixels, binary_data=binary)], outputs=outputs)

        def infer_images() -> object:
            tensor = triton.InferInput("image", [len(pngs)], "BYTES")
            return client.infer(args.model, [tensor.set_data_from_numpy(np.array(pngs, dtype=np.object_))])

        with httpx.Client(base_url=server.base_url, timeout=120) as http:

            def classify_each() -> object:
                files = [("d.png", png) for png in pngs]
                return [http.post("/classify", params={"model": args.model}, files={"file": f}) for f in files]

            for name, function in (
                ("/v2 pixels, binary", lambda: infer_pixels(True)),
                ("/v2 pixels, JSON", lambda: infer_pixels(False)),
                ("/v2 image (PNG), binary", infer_images),
                ("/classify, one request per PNG", classify_each),
            ):
                print(f"{args.batch} digits, {name}: {median_ms(function, args.rounds):.0f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
