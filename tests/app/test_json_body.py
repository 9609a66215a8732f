"""app.deps.json_body reads a JSON body as FastAPI reads a body parameter: the same model, or the same error.

/add reads its body with json_body rather than through a FastAPI parameter (app/deps.py says why).
The oracle is FastAPI itself: a route taking `body: AddRequest`, called on the same bytes.
"""

import json
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.deps import json_body
from app.errors import install_error_handlers
from app.schemas import AddRequest

reference = FastAPI()
install_error_handlers(reference)  # rnnlab's 422 body: FastAPI's own echoes the input, and fails on bytes


@reference.post("/")
async def take(body: AddRequest) -> dict[str, Any]:
    return body.model_dump()


client = TestClient(reference)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/vnd.api+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    None,
]


def outcome_of_ours(body: bytes, content_type: str | None) -> tuple[int, Any]:
    try:
        return 200, json_body(AddRequest, body, content_type).model_dump()
    except RequestValidationError as error:
        return 422, [(tuple(detail["loc"]), detail["type"]) for detail in error.errors()]
    except HTTPException as error:
        return error.status_code, error.detail


def outcome_of_fastapi(body: bytes, content_type: str | None) -> tuple[int, Any]:
    response = client.post("/", content=body, headers={"content-type": content_type} if content_type else {})
    if response.status_code == 422:
        return 422, [(tuple(detail["loc"]), detail["type"]) for detail in response.json()["errors"]]
    answer = response.json()
    return response.status_code, answer if response.status_code == 200 else answer["detail"]


values = st.one_of(
    st.text(alphabet="01", max_size=6),
    st.text(max_size=6),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(alphabet="01", max_size=3), max_size=2),
)
objects = st.dictionaries(st.sampled_from(["a", "b", "model", "c"]), values, max_size=4)
documents = st.one_of(objects, values).map(lambda document: json.dumps(document).encode())
bodies = st.one_of(
    documents,
    documents.flatmap(lambda text: st.integers(0, len(text)).map(lambda cut: text[:cut])),  # truncated
    st.binary(max_size=40),
    st.sampled_from([b"", b"[" * 5000 + b"]" * 5000, b'{"a": "1\xff", "b": "1"}', b'{"a": NaN, "b": "1"}']),
)


@settings(max_examples=400, deadline=None)
@given(body=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_json_body_answers_as_fastapi(body: bytes, content_type: str | None) -> None:
    assert outcome_of_ours(body, content_type) == outcome_of_fastapi(body, content_type)


def test_a_valid_body_is_the_model() -> None:
    body = json_body(AddRequest, b'{"a": "1011", "b": "110", "model": "adder-lstm-10"}', "application/json")
    assert (body.a, body.b, body.model) == ("1011", "110", "adder-lstm-10")
