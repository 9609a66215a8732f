"""app/upload.py, the multipart reader /classify uses instead of Starlette's `request.form()`: it must
read every well-formed form as python-multipart (the parser under `form()`) reads it, and answer
anything else with an HTTP 400, never another exception.
"""

from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_multipart.multipart import MultipartParser, parse_options_header

from app.upload import MAX_PARTS, Part, image_part, read_parts

BOUNDARY = b"rnnlab-test-boundary-7MA4YWxk"
FORM = f"multipart/form-data; boundary={BOUNDARY.decode()}"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

field_names = st.text(st.characters(codec="ascii", exclude_characters='"\\\r\n'), min_size=1, max_size=12)
part_data = st.binary(max_size=200).filter(lambda data: b"\r\n--" + BOUNDARY not in b"\r\n" + data + b"\r\n")


@st.composite
def forms(draw: st.DrawFn, preamble: bytes = b"") -> tuple[bytes, list[tuple[str, str | None, bytes]]]:
    """A well-formed multipart body, as a browser or httpx writes one, and its parts."""
    parts = draw(st.lists(st.tuples(field_names, st.none() | field_names, part_data), min_size=1, max_size=5))
    body = preamble
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        content_type = draw(st.sampled_from([b"", b"Content-Type: application/octet-stream\r\n"]))
        body += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n" + content_type
        body += b"\r\n" + data + b"\r\n"
    return body + b"--" + BOUNDARY + b"--" + draw(st.sampled_from([b"", b"\r\n", b"\r\nan epilogue"])), parts


def python_multipart_parts(body: bytes) -> list[Part]:
    """The same body through python-multipart's parser: what FastAPI's UploadFile would have read."""
    parts: list[dict[str, Any]] = []

    def on_part_begin() -> None:
        parts.append({"headers": [], "data": b""})

    def on_header_field(data: bytes, start: int, end: int) -> None:
        parts[-1]["headers"].append([data[start:end], b""])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        parts[-1]["headers"][-1][1] += data[start:end]

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1]["data"] += data[start:end]

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_part_data": on_part_data,
    }
    parser = MultipartParser(BOUNDARY, callbacks)
    parser.write(body)
    parser.finalize()
    read = []
    for part in parts:
        disposition = dict((name.lower(), value) for name, value in part["headers"])[b"content-disposition"]
        options = parse_options_header(disposition)[1]
        name, filename = options.get(b"name"), options.get(b"filename")
        read.append(Part(name.decode(), None if filename is None else filename.decode(), part["data"]))
    return read


@PROPERTY
@given(forms())
def test_reads_every_form_as_python_multipart_does(form: tuple[bytes, list[tuple[str, str | None, bytes]]]) -> None:
    body, parts = form
    assert read_parts(body, BOUNDARY) == python_multipart_parts(body) == [Part(*part) for part in parts]


@PROPERTY
@given(forms(preamble=b"a preamble, which RFC 2046 allows and python-multipart does not\r\n"))
def test_reads_a_form_after_a_preamble(form: tuple[bytes, list[tuple[str, str | None, bytes]]]) -> None:
    body, parts = form
    assert read_parts(body, BOUNDARY) == [Part(*part) for part in parts]


@PROPERTY
@given(forms(), st.data())
def test_a_cut_or_damaged_form_is_a_400(form: tuple[bytes, Any], data: st.DataObject) -> None:
    body = form[0]
    cut = data.draw(st.integers(0, len(body) - 1))
    damaged = data.draw(st.sampled_from([body[:cut], body[:cut] + b"x" + body[cut + 1 :]]))
    try:
        read_parts(damaged, BOUNDARY)  # a cut in the epilogue, or a changed data byte, is still a form
    except HTTPException as error:
        assert error.status_code == 400 and error.detail.startswith("the multipart body is malformed")


@PROPERTY
@given(st.binary(max_size=300))
def test_any_bytes_are_a_form_or_a_400(body: bytes) -> None:
    try:
        read_parts(body, BOUNDARY)
    except HTTPException as error:
        assert error.status_code == 400


def file_form(*parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + data + b"\r\n"
    return body + b"--" + BOUNDARY + b"--\r\n"


def test_image_part_is_the_file_in_the_file_field() -> None:
    body = file_form(("model", None, b"all"), ("file", "seven.png", b"\x89PNG..."), ("other", "x.txt", b"x"))
    assert image_part(body, FORM) == b"\x89PNG..."
    assert image_part(file_form(("file", "", b"bytes")), FORM) == b"bytes"  # a file without a name is a file
    quoted = f'multipart/form-data; boundary="{BOUNDARY.decode()}"'
    assert image_part(file_form(("file", "a.png", b"bytes")), quoted) == b"bytes"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", FORM, "Field required"),
        (file_form(("file", "a.png", b"1")), "application/json", "not application/json"),
        (file_form(("image", "a.png", b"1")), FORM, "Field required"),
        (file_form(("file", "a.png", b"1"), ("file", "b.png", b"2")), FORM, "this request has 2"),
        (file_form(("file", None, b"seven.png")), FORM, "not a text value"),
    ],
)
def test_a_form_without_one_file_is_a_422_on_body_file(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(RequestValidationError) as error:
        image_part(body, content_type)
    (issue,) = error.value.errors()
    assert issue["loc"] == ("body", "file") and message in issue["msg"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"x", "multipart/form-data", "has no boundary parameter"),
        (b"garbage", FORM, "no line"),
        (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=file\r\n\r\nabc", FORM, "ends before"),
        (b"--" + BOUNDARY + b"junk\r\n", FORM, "a boundary is followed by"),
        (b"--" + BOUNDARY + b"\r\nno blank line\r\n--" + BOUNDARY + b"--", FORM, "no blank line"),
        (file_form(*[("f", None, b"")] * (MAX_PARTS + 1)), FORM, f"more than {MAX_PARTS} parts"),
    ],
)
def test_a_malformed_form_is_a_400_saying_why(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(HTTPException) as error:
        image_part(body, content_type)
    assert error.value.status_code == 400 and message in error.value.detail
