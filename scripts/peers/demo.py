"""The usual FastAPI demo of a digit classifier, as a peer for scripts/bench_peers.py.

    PYTHONPATH=.:scripts/peers python -m uvicorn demo:app --workers 2 --port 8001

An UploadFile, PIL to grey, invert and resize to 28x28, and one call of rnnlab's committed
mnist-lstm-128 per request, in an `async def` route as the tutorials write it.
"""

import torch
from fastapi import FastAPI, UploadFile
from pipeline import WEIGHTS, pixels

from training.checkpoint import load_checkpoint

torch.set_num_threads(1)  # as rnnlab's default: one torch thread per worker
MODEL, _ = load_checkpoint(WEIGHTS)
app = FastAPI()


@app.post("/predict")
async def predict(file: UploadFile) -> dict[str, object]:
    with torch.inference_mode():
        probabilities = torch.softmax(MODEL(pixels(await file.read())[None]), dim=1)[0]
    return {"digit": int(probabilities.argmax()), "confidence": float(probabilities.max())}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
