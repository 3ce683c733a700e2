"""The files the repository carries from the workspace's ``shared/`` folder are unchanged
copies: the seed application and the official JSON:API JSON Schemas with their fixtures.

The only tests that read ``../shared``; a clone on its own has no such folder, and these
skip there, saying so (everything else uses the copies).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flask_jsonapi.testing import validation as jsonapi_schema

TESTS = Path(__file__).resolve().parent
SHARED = TESTS.parents[1] / "shared"


def _shared(path: str) -> Path:
    found = SHARED / path
    if not found.exists():
        pytest.skip(f"{found} is not present (a clone on its own): nothing to compare")
    return found


def test_seed_copy_equals_the_shared_seed() -> None:
    """tests/seed_example.py is the seed exactly as its user wrote it."""
    shared = _shared("seed-example.py")
    assert (TESTS / "seed_example.py").read_bytes() == shared.read_bytes()


@pytest.mark.parametrize(("bundled", "shared"), [("1.0", "1.0"), ("1.1", "1.1-pr1603")])
def test_bundled_schemas_equal_the_shared_ones(bundled: str, shared: str) -> None:
    """The bundled files are the published schemas unchanged (the fixes are applied in
    memory), and the fixtures are the upstream ones."""
    directory = _shared(f"jsonapi-schema/{shared}")
    for name in jsonapi_schema.SCHEMA_FILES.values():
        copy = jsonapi_schema.version_dir(bundled) / name
        assert copy.read_bytes() == (directory / name).read_bytes(), name
    fixtures = TESTS / "jsonapi_schema_fixtures" / shared
    upstream = directory / "tests"
    copied = sorted(p.relative_to(fixtures) for p in fixtures.rglob("*.json"))
    assert copied == sorted(p.relative_to(upstream) for p in upstream.rglob("*.json"))
    for path in copied:
        assert (fixtures / path).read_bytes() == (upstream / path).read_bytes()
