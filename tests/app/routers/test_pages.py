"""The web page, its static files, and the OpenAPI document."""


def test_index_serves_the_web_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


def test_static_serves_the_page_assets(client):
    assert client.get("/static/index.html").text == client.get("/").text


def test_static_rejects_path_traversal(client):
    for path in ["/static/../main.py", "/static/%2e%2e/main.py", "/static/..%2Fmain.py"]:
        response = client.get(path)
        assert response.status_code == 404
        assert "create_app" not in response.text


def test_openapi_documents_every_endpoint_with_examples(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ["/classify", "/add", "/models", "/models/{name}", "/models/{name}/plots/{file}",
                 "/health/live", "/health/ready", "/metrics"]:  # fmt: skip
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    body = paths["/add"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    add_request = schemas[body["$ref"].rsplit("/", 1)[1]]
    assert add_request["examples"][0] == {"a": "1011", "b": "110"}
    assert add_request["properties"]["a"]["pattern"] == "^[01]+$"
    assert add_request["additionalProperties"] is False
    assert "examples" in schemas["Prediction"]["properties"]["probabilities"]
    assert {"ClassifyResponse", "ClassifyAllResponse", "ErrorResponse"} <= set(schemas)
    assert {"400", "404", "413", "415", "422"} <= set(paths["/classify"]["post"]["responses"])
    model = next(p for p in paths["/classify"]["post"]["parameters"] if p["name"] == "model")
    assert model["in"] == "query" and not model["required"]


def test_docs_page_is_served(client):
    assert client.get("/docs").status_code == 200
