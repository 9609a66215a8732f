"""The service's tests, laid out as app/ is, and the zoo as plain functions see it (`registry`).

    tests/app/test_X*.py             app/X.py            (batching, predict, registry, settings...)
    tests/app/routers/test_X*.py     app/routers/X.py    (classify, adder, models, health, metrics, pages, v2)
    tests/app/preprocess/test_X.py   app/preprocess/X.py (decode, lines); test_pipeline: preprocess() as a whole,
                                     test_real_data: on MNIST's digits and real photos
    tests/app/static/                app/static/: the web page in Chromium (browser fixtures in its conftest)
    tests/app/service/               the whole service from outside, across modules: bad inputs, properties,
                                     schemathesis, unusual images, a live uvicorn, startup, workers

A file named after a module tests what that module does, through its functions, its routes or a
live server; a suite that checks every route at once, or the server process itself (startup, workers,
answers over real HTTP), lives in service/. Uploads made in
code for several suites are in tests/app/uploads.py; drawn digits for preprocessing in
tests/app/preprocess/drawn.py. The `client`, `live_server` and MNIST fixtures are in tests/conftest.py.
"""

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def registry(models_dir: Path) -> Any:
    """The store's models, loaded and verified as the lifespan loads them, without an app."""
    from app.registry import load_registry

    return load_registry(models_dir)
