"""rnnlab's HTTP service: the trained models behind FastAPI.

    scripts/serve                                    # 0.0.0.0:8000, one worker per CPU (python -m app)
    .venv/bin/python -m uvicorn app.main:app         # one worker, once the venv exists
    curl -F file=@digit.png localhost:8000/classify

Layout: settings (RNNLAB_* environment), registry (the checkpoints, loaded once in the
lifespan), preprocess (upload -> 28x28), predict (plain batch functions), schemas (request
and response bodies), deps (what handlers Depends on), routers/ (one per concern), errors
(JSON error bodies), limits and metrics (ASGI middleware), batching (micro-batches on one thread),
overload (each worker's bounded queue), main (the app factory), cpus and __main__ (`python -m app`:
one worker per available CPU).
"""
