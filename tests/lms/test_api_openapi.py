"""The OpenAPI document describes exactly the API's routes."""

import re

from lms.api import api_bp

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != api_bp.name:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(path, m.lower()) for m in rule.methods & HTTP_METHODS}
    return found


def test_every_route_is_described_and_vice_versa(app, client):
    document = client.get("/api/v1/openapi.json").json
    described = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert _routes(app) == described


def test_document_is_openapi_3_1_with_resolvable_references(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    text = str(document)
    for ref in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        assert ref[1] in document["components"][ref[0]], ref


def test_every_operation_documents_its_errors_and_security(client):
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "security" in operation, (path, method)
            needs_token = {} not in operation["security"]
            if needs_token:
                assert "401" in operation["responses"], (path, method)
