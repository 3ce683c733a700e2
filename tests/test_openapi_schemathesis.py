"""Schemathesis against the blog demo, in-process: every operation of its OpenAPI document
is called with a few generated requests, valid and invalid; no answer may be a 500, and
each must conform to the document (status code, media type, headers, body schema)."""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from examples.blog.api import create_app
from examples.blog.models import Base
from examples.blog.seed import seed
from tests.support.database import reset_database

EXAMPLES = 3  # per operation and mode: bounded and derandomized (the same requests each run)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _seeded_demo(database_url: str):
    app = create_app(database_url, seed_data=False)
    blog = app.extensions["blog"]
    blog["session"].remove()
    reset_database(blog["engine"], Base.metadata)
    seed(blog["session"])
    blog["session"].remove()
    return app


def test_demo_conforms_to_its_openapi_document(database_url, record_property):
    app = _seeded_demo(database_url)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    calls: Counter[str] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, calls, failures)
    app.extensions["blog"]["engine"].dispose()
    record_property("schemathesis", f"{len(operations)} operations, {calls.total()} requests")
    print(f"schemathesis: {len(operations)} operations, {calls.total()} requests")
    assert len(operations) == 50  # every endpoint of the four types, and /operations
    assert set(calls) == {operation.label for operation in operations}
    assert not failures, "\n\n".join(failures[:8]) + f"\n\n{len(failures)} failures"


def _run(operation, mode: GenerationMode, calls: Counter, failures: list[str]) -> None:
    """Call ``operation`` with ``EXAMPLES`` generated requests; note each failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case) -> None:
        calls[operation.label] += 1
        try:
            case.call_and_validate(checks=CHECKS)
        except FailureGroup as error:
            failures.append(f"{operation.label} [{mode.value}]: {error}")

    call()
