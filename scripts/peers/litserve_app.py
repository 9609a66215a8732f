"""LitServe with dynamic batching, as a peer for scripts/bench_peers.py.

    PYTHONPATH=. python scripts/peers/litserve_app.py --port 8002   # the script's folder is on sys.path

The demo's PIL pipeline (scripts/peers/demo.py) in decode_request, rnnlab's committed mnist-lstm-128
in predict over batches of up to 16 uploads gathered for up to 2 ms, two inference workers.
"""

import argparse

import litserve as ls
import torch
from pipeline import WEIGHTS, pixels

from training.checkpoint import load_checkpoint


class Digits(ls.LitAPI):
    def setup(self, device: str) -> None:
        torch.set_num_threads(1)
        self.model, _ = load_checkpoint(WEIGHTS)

    def decode_request(self, request) -> torch.Tensor:  # no annotation: LitServe then passes the parsed form
        return pixels(request["file"].file.read())

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return torch.softmax(self.model(images), dim=1)  # (batch, 10)

    def unbatch(self, probabilities: torch.Tensor) -> list[torch.Tensor]:
        return list(probabilities)

    def encode_response(self, probabilities: torch.Tensor) -> dict[str, object]:
        return {"digit": int(probabilities.argmax()), "confidence": float(probabilities.max())}


if __name__ == "__main__":
    options = argparse.ArgumentParser()
    options.add_argument("--port", type=int, default=8002)
    port = options.parse_args().port
    api = Digits(max_batch_size=16, batch_timeout=0.002)
    ls.LitServer(api, accelerator="cpu", workers_per_device=2).run(port=port, generate_client_file=False)
