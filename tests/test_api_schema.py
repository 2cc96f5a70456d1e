"""The API contract: every operation declares a typed answer and its errors, and schemathesis
explores every operation of the OpenAPI description: nothing it sends gets a 5xx, and every answer
conforms to the schema (its status declared, its content type declared, its body valid).

Bounded: a few examples per operation, with the quality office's token (so every operation is
reached), on a store of its own (the fuzzer's loads and diagnoses change it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from api_fixtures import auth, build_store, tokens
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from zhengai.api.app import create_app
from zhengai.api.guards import RateLimits
from zhengai.api.service import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    folder: Path = tmp_path_factory.mktemp("schema")
    settings = Settings(
        tokens=tokens(folder),
        query_timeout=5,
        row_limit=1000,
        rate_limits=RateLimits(sparql=0, loads=0, writes=0),
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(build_store(folder), settings))


def test_every_operation_declares_a_typed_answer_and_its_errors(tmp_path: Path) -> None:
    from zhengai.store import OxigraphStore

    OxigraphStore(tmp_path / "s").close()
    spec = create_app(tmp_path / "s").openapi()
    schemas = spec["components"]["schemas"]
    untyped, without_errors = [], []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            operations += 1
            success = next(v for k, v in op["responses"].items() if k.startswith("2"))
            content = success.get("content", {})
            body = content.get("application/json", {}).get("schema", {})
            named = "$ref" in body or "$ref" in body.get("items", {})
            if not (named or (content and "application/json" not in content) or op["responses"].get("204")):
                untyped.append(f"{method.upper()} {path}")
            errors = [k for k in op["responses"] if k[0] in "45"]
            if not {"401", "403"} <= set(errors) and path != "/healthz":
                without_errors.append(f"{method.upper()} {path}")
    assert operations >= 30
    assert untyped == [] and without_errors == []
    for name in (
        "GapPublic",
        "GapPage",
        "OwnerAnswer",
        "LoadReport",
        "ErrorBody",
        "PushReport",
        "GapHistory",
    ):
        assert name in schemas, name
    assert schemas["ErrorBody"]["examples"] and schemas["LogEntryPublic"]["examples"]
    error = spec["paths"]["/gaps"]["get"]["responses"]["403"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}


@pytest.mark.slow
def test_no_server_errors_and_every_answer_conforms(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def explore(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=auth("quality_office"), checks=CHECKS)
            statuses.append(response.status_code)

        explore()
    assert len(statuses) >= 4 * len(operations) and {200, 422} <= set(statuses)
