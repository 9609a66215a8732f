"""schemathesis against the service's own OpenAPI schema, over real HTTP (the session's live uvicorn).

    pytest tests/app/service/test_schema.py         # every operation, at most MAX_EXAMPLES requests each

For each operation in the schema, schemathesis generates requests that fit it and requests that
do not, sends them to the live server, and checks every response: never a 5xx, a status that
the schema documents for the operation, the content type it declares, and a body that fits.
The examples are bounded so that the run stays well under a minute on a busy 2-core machine.

The schema is the app's own `openapi()`, built without starting the app: schemathesis's
`from_fixture` loader fails under pytest 9 (it reads `request.node._nodeid`, which is gone).
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app

MAX_EXAMPLES = 60  # per operation and mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(create_app().openapi())
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
CONSTRAINTS = {"pattern", "minLength", "maxLength", "minimum", "maximum", "enum", "anyOf"}


def breakable(operation: Any) -> bool:
    """Whether a request can break the operation's schema: a body, or a parameter with constraints."""
    raw = operation.definition.raw
    return "requestBody" in raw or any(CONSTRAINTS & set(p.get("schema", {})) for p in raw.get("parameters", []))


CASES = [(operation, GenerationMode.POSITIVE) for operation in OPERATIONS] + [
    (operation, GenerationMode.NEGATIVE) for operation in OPERATIONS if breakable(operation)
]


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_operation_answers_within_its_schema(live_server: str, operation: Any, mode: Any, data: Any) -> None:
    """`positive`: requests that fit the schema; `negative`: requests that break it, which must get a 4xx."""
    case = data.draw(operation.as_strategy(generation_mode=mode))
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
    case.call_and_validate(base_url=live_server, checks=checks)


def test_errors_are_documented_in_the_protocols_form_on_v2_and_with_detail_elsewhere() -> None:
    """Each documented error: `{"error"}` on the Open Inference Protocol's paths, `{"detail"}` on the rest;
    response_schema_conformance above then holds every error the server sends to its form."""
    document = create_app().openapi()
    schemas = document["components"]["schemas"]
    assert schemas["ProtocolErrorBody"]["required"] == ["error"]
    assert schemas["ErrorResponse"]["required"] == ["detail"]
    assert "detail" in schemas["ValidationErrorResponse"]["required"]
    forms = {"/v2": {"ProtocolErrorBody"}, "/": {"ErrorResponse", "ValidationErrorResponse"}}
    for path, operations in document["paths"].items():
        form = forms["/v2"] if path == "/v2" or path.startswith("/v2/") else forms["/"]
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                    assert schema in form, f"{method.upper()} {path} {status}: {schema}"
