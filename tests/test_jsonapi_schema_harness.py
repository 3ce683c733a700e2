"""Prove that the JSON:API schema validation (flask_jsonapi/testing/validation.py) works.

The upstream fixtures shipped with the schemas (kept in tests/jsonapi_schema_fixtures/)
are run through the validators. Under
python-jsonschema, the 1.0 schema misclassifies 18 of them unless the two load-time fixes
are applied, so these tests fail if the fixes are removed; ``test_each_fix_is_needed``
shows it for each fix separately.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import flask_jsonapi.testing
from flask_jsonapi.testing import validation as jsonapi_schema
from flask_jsonapi.testing.validation import (
    ALL_FIXES,
    FIX_DEPENDENCIES,
    FIX_PATTERN_PROPERTIES,
    SchemaNotFoundError,
    fix_schema,
    get_validator,
    load_schemas,
    request_errors,
    response_errors,
    validate_request,
    validate_response,
)

# The upstream fixtures: ``tests/`` of each version directory of the jsonapi.org repository.
FIXTURES = Path(__file__).with_name("jsonapi_schema_fixtures")

# Fixture directories (relative to the version directory) -> request kind, or None for
# response documents.
FIXTURE_KINDS = {
    "response": None,
    "request/resource/create": "create",
    "request/resource/update": "update",
    "request/relationship/update": "update_relationship",
}

# (schema version, fixture directory): the fixtures of each version against its own
# schema, and the (more numerous) 1.0 fixtures against the 1.1 schema as well, which
# the README reports as 94/94 and which exercises the ``dependencies`` fix for 1.1.
COMBINATIONS = [("1.0", "1.0"), ("1.1", "1.1-pr1603"), ("1.1", "1.0")]


def _collect(base: Path, fixture_dir: str) -> list[tuple[str | None, bool, Path]]:
    """(kind, expected_valid, path) of every fixture of one version directory."""
    found = []
    for sub, kind in FIXTURE_KINDS.items():
        for validity in ("valid", "invalid"):
            directory = base / fixture_dir / sub / validity
            for path in sorted(directory.rglob("*.json")):
                found.append((kind, validity == "valid", path))
    return found


def _fixture_params() -> list:
    base = FIXTURES
    params = []
    for version, fixture_dir in COMBINATIONS:
        for kind, expected_valid, path in _collect(base, fixture_dir):
            rel = path.relative_to(base / fixture_dir).as_posix()
            params.append(
                pytest.param(
                    version, kind, expected_valid, path, id=f"{version}:{fixture_dir}/{rel}"
                )
            )
    if not params:
        # Do not let a missing schema directory turn into an "empty parameter set" skip.
        params.append(pytest.param("1.1", None, True, None, id="schema-fixtures-missing"))
    return params


def _classify(version: str, kind: str | None, document: object, fixes=ALL_FIXES) -> list[str]:
    validator = get_validator(kind or "response", version, fixes)
    return list(validator.iter_errors(document))


def _load(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the fixtures


def test_fixture_counts():
    base = FIXTURES
    assert len(_collect(base, "1.0")) == 94
    assert len(_collect(base, "1.1-pr1603")) == 17
    response_1_0 = [p for k, _, p in _collect(base, "1.0") if k is None]
    assert len(response_1_0) == 78


@pytest.mark.parametrize(("version", "kind", "expected_valid", "path"), _fixture_params())
def test_upstream_fixture(version, kind, expected_valid, path):
    if path is None:
        raise SchemaNotFoundError(f"no JSON:API schema fixtures in {FIXTURES}")
    document = _load(path)
    if kind is None:
        errors = response_errors(document, version)

        def check():
            validate_response(document, version)
    else:
        errors = request_errors(document, kind, version)

        def check():
            validate_request(document, kind, version)

    if expected_valid:
        assert errors == []
        check()
    else:
        assert errors, f"{path} should be invalid under the {version} schema"
        with pytest.raises(AssertionError, match="is not a valid JSON:API document"):
            check()


@pytest.mark.parametrize(
    ("fix", "version", "fixture_dir", "minimum"),
    [
        # Without the patternProperties fix every attribute / relationship / meta member is
        # "additional": valid documents fail.
        (FIX_PATTERN_PROPERTIES, "1.0", "1.0", 10),
        # Without the dependencies fix data+errors and included-without-data pass.
        (FIX_DEPENDENCIES, "1.0", "1.0", 2),
        (FIX_DEPENDENCIES, "1.1", "1.0", 1),
    ],
)
def test_each_fix_is_needed(fix, version, fixture_dir, minimum):
    """Leaving out one fix makes fixtures come out wrong, so the suite exercises it."""
    without = ALL_FIXES - {fix}
    wrong = []
    for kind, expected_valid, path in _collect(FIXTURES, fixture_dir):
        document = _load(path)
        assert (not _classify(version, kind, document)) is expected_valid, path
        if (not _classify(version, kind, document, without)) is not expected_valid:
            wrong.append(path.name)
    assert len(wrong) >= minimum, wrong


def test_without_fixes_the_1_0_schema_gets_18_fixtures_wrong():
    wrong = [
        path
        for kind, expected_valid, path in _collect(FIXTURES, "1.0")
        if (not _classify("1.0", kind, _load(path), fixes=())) is not expected_valid
    ]
    assert len(wrong) == 18


# ------------------------------------------------------------- specific documents


ARTICLE = {
    "data": {
        "type": "articles",
        "id": "1",
        "attributes": {"title": "JSON:API paints my bikeshed!"},
        "relationships": {
            "author": {
                "links": {"related": "http://example.com/articles/1/author"},
                "data": {"type": "people", "id": "9"},
            }
        },
        "links": {"self": "http://example.com/articles/1"},
    },
    "jsonapi": {"version": "1.1"},
}


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_document_with_attributes_and_relationships_is_valid(version):
    validate_response(ARTICLE, version)


def test_server_jsonapi_object_with_ext_and_profile_is_valid_for_1_1():
    document = {
        **ARTICLE,
        "jsonapi": {
            "version": "1.1",
            "ext": ["https://jsonapi.org/ext/atomic"],
            "profile": ["http://example.com/profiles/flexible-pagination"],
        },
    }
    validate_response(document)
    with pytest.raises(AssertionError, match=r"\$\.jsonapi"):
        validate_response({**document, "jsonapi": {"version": "1.1", "ext": "not-an-array"}})


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_integer_id_is_invalid(version):
    document = {"data": {"type": "articles", "id": 1, "attributes": {"title": "x"}}}
    with pytest.raises(AssertionError) as excinfo:
        validate_response(document, version)
    message = str(excinfo.value)
    assert "$.data.id" in message
    assert "1 is not of type 'string'" in message


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"data": None, "errors": [{"status": "400"}]}, id="data-and-errors"),
        pytest.param({"meta": {}, "included": []}, id="included-without-data"),
    ],
)
def test_dependencies_are_enforced(version, document):
    with pytest.raises(AssertionError):
        validate_response(document, version)


def test_every_error_is_listed_with_its_path():
    document = {
        "data": [
            {"type": "articles", "id": 1},
            {"type": "articles", "id": "2", "attributes": {"bad name!": 1}},
        ],
        "links": {"self": 3},
    }
    with pytest.raises(AssertionError) as excinfo:
        validate_response(document)
    message = str(excinfo.value)
    assert "$.data[0].id" in message or "$.data" in message
    assert "$.links.self" in message
    assert len(response_errors(document)) >= 2
    assert "document:" in message


def test_request_documents():
    validate_request({"data": {"type": "articles", "attributes": {"title": "t"}}}, "create")
    validate_request({"data": {"type": "articles", "lid": "a", "attributes": {}}}, "create")
    validate_request({"data": {"type": "articles", "id": "1"}}, "update")
    validate_request({"data": [{"type": "tags", "id": "1"}]}, "update_relationship")
    validate_request({"data": None}, "update_relationship")
    with pytest.raises(AssertionError, match="'update' request"):
        validate_request({"data": {"type": "articles"}}, "update")
    with pytest.raises(AssertionError):
        validate_request({"data": {"type": "articles", "id": 1}}, "create")
    with pytest.raises(ValueError, match="unknown request kind"):
        validate_request({"data": None}, "delete")
    with pytest.raises(ValueError, match="unknown JSON:API schema version"):
        validate_response({"meta": {}}, version="2.0")


# ------------------------------------------------------------- atomic operations


def test_atomic_results_document():
    validate_response(
        {
            "atomic:results": [
                {"data": {"type": "articles", "id": "1", "attributes": {"title": "t"}}},
                {},
                {"data": None, "meta": {"note": "removed"}},
            ],
            "jsonapi": {"version": "1.1", "ext": ["https://jsonapi.org/ext/atomic"]},
        }
    )
    with pytest.raises(AssertionError, match=r"atomic:results'\]\[1\]"):
        validate_response({"atomic:results": [{}, {"data": {"type": "articles", "id": 7}}]})
    with pytest.raises(AssertionError, match="must be an array"):
        validate_response({"atomic:results": {"data": None}})
    with pytest.raises(AssertionError, match="must be an object"):
        validate_response({"atomic:results": ["x"]})


def test_non_object_root_is_invalid():
    with pytest.raises(AssertionError):
        validate_response([{"data": None}])


# ------------------------------------------------------------------- the fixes


def test_fix_schema_renames_empty_pattern_and_rewrites_dependencies():
    original = {
        "type": "object",
        "description": "",
        "dependencies": {"included": ["data"], "data": {"not": {"required": ["errors"]}}},
        "properties": {
            # A *property* named "dependencies" is data, not the keyword.
            "dependencies": {"type": "object", "patternProperties": {"": True}},
            "meta": {"enum": [{"patternProperties": {"": 1}}]},
        },
        "definitions": {"x": {"anyOf": [{"patternProperties": {"": {"type": "string"}}}]}},
    }
    snapshot = json.loads(json.dumps(original))
    fixed = fix_schema(original)
    assert original == snapshot, "fix_schema must not modify its argument"
    assert "dependencies" not in fixed
    assert fixed["dependentRequired"] == {"included": ["data"]}
    assert fixed["dependentSchemas"] == {"data": {"not": {"required": ["errors"]}}}
    assert fixed["description"] == ""
    assert fixed["properties"]["dependencies"] == {
        "type": "object",
        "patternProperties": {"^": True},
    }
    assert fixed["properties"]["meta"] == {"enum": [{"patternProperties": {"": 1}}]}
    assert fixed["definitions"]["x"]["anyOf"][0]["patternProperties"] == {"^": {"type": "string"}}
    assert fix_schema(original, fixes=()) == snapshot
    with pytest.raises(ValueError):
        fix_schema(original, fixes={"nope"})


def _walk(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_loaded_schemas_contain_no_unfixed_constructs(version):
    raw_has_dependencies = False
    for kind, schema in load_schemas(version).items():
        for node in _walk(schema):
            assert "dependencies" not in node, kind
            assert "" not in node.get("patternProperties", {}), kind
    for schema in load_schemas(version, fixes=()).values():
        raw_has_dependencies |= any("dependencies" in node for node in _walk(schema))
    assert raw_has_dependencies


# --------------------------------------------------------------- schema location


def test_schemas_are_bundled_in_the_package():
    """The schemas ship inside flask_jsonapi.testing, so a user's install validates too."""
    package_dir = Path(flask_jsonapi.testing.__file__).resolve().parent
    assert jsonapi_schema.schema_dir() == package_dir / "schemas"
    for version in jsonapi_schema.VERSION_DIRS:
        names = sorted(p.name for p in jsonapi_schema.version_dir(version).glob("*.json"))
        assert names == sorted(jsonapi_schema.SCHEMA_FILES.values())


def test_schemas_load_from_another_directory(tmp_path):
    copied = tmp_path / "schemas"
    for sub in jsonapi_schema.VERSION_DIRS.values():
        shutil.copytree(jsonapi_schema.schema_dir() / sub, copied / sub)
    assert load_schemas("1.1", base=copied) == load_schemas("1.1")
    with pytest.raises(SchemaNotFoundError, match="schema file not found"):
        load_schemas("1.1", base=tmp_path / "missing")
