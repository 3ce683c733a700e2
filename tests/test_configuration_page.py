"""docs/configuration.md names every ``JSONAPI_*`` config key the library reads, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask_jsonapi.query.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
# A key is read by name, as a string ("JSONAPI_PAGE_SIZE"); JSONAPI_VERSION is a constant.
_KEY_IN_CODE = re.compile(r"""["'](JSONAPI_[A-Z0-9_]+)["']""")
_KEY_ROW = re.compile(r"^\| `(JSONAPI_[A-Z0-9_]+)` \| (.+?) \| (.+) \|$", re.MULTILINE)


def _page() -> str:
    return (ROOT / "docs" / "configuration.md").read_text()


def keys_read_by_the_library() -> set[str]:
    """Every quoted ``JSONAPI_*`` name in flask_jsonapi/, but for Python names the package
    defines (``__all__`` quotes them too: ``testing.JSONAPI_MEDIA_TYPE``)."""
    texts = [path.read_text() for path in (ROOT / "flask_jsonapi").rglob("*.py")]
    defined = {
        name for text in texts for name in re.findall(r"\b(?:as|def|class) (JSONAPI_\w+)", text)
    }
    defined |= {name for text in texts for name in re.findall(r"^(JSONAPI_\w+) =", text, re.M)}
    return {key for text in texts for key in _KEY_IN_CODE.findall(text)} - defined


def test_every_key_has_a_row_with_a_default_and_a_meaning() -> None:
    """Each key the code reads has one table row, with a default and a meaning filled in."""
    rows = _KEY_ROW.findall(_page())
    documented = [key for key, _, _ in rows]

    assert len(documented) == len(set(documented)), documented
    assert set(documented) == keys_read_by_the_library()
    assert all(default.strip() and meaning.strip() for _, default, meaning in rows)


def test_query_defaults_are_the_ones_the_code_uses() -> None:
    """The printed defaults of the query settings are ``query.config.DEFAULTS``."""
    rows = {key: default for key, default, _ in _KEY_ROW.findall(_page())}

    for key, value in DEFAULTS.items():
        assert rows[key] == f"`{json.dumps(value)}`", key


def test_the_keys_found_include_the_known_ones() -> None:
    """The search of the code finds keys at all (a broken pattern would find none)."""
    assert {"JSONAPI_PAGE_SIZE", "JSONAPI_ROW_READS", "JSONAPI_MAX_BODY_SIZE"} <= (
        keys_read_by_the_library()
    )
