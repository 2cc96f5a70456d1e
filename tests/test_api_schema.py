"""schemathesis explores every operation of the OpenAPI description: nothing it sends gets a 500.

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
from zhengai.api.app import create_app
from zhengai.api.service import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    folder: Path = tmp_path_factory.mktemp("schema")
    app = create_app(build_store(folder), Settings(tokens=tokens(folder), query_timeout=5, row_limit=1000))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def explore(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=auth("quality_office"), checks=[not_a_server_error])
            statuses.append(response.status_code)

        explore()
    assert len(statuses) >= 4 * len(operations) and {200, 422} <= set(statuses)
