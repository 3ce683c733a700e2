"""The distributions: ``python -m build`` then ``twine check``, and what each one carries.

The wheel has the package with ``py.typed`` and the JSON:API schemas, the licence and
the pytest plugin's entry point; the sdist also carries the docs, the demo and the
changelog. The build uses the dev venv's setuptools (``--no-isolation``): no download.
"""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and wheel built from the checkout, checked by twine."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert twine.returncode == 0, twine.stdout + twine.stderr
    assert twine.stdout.count("PASSED") == 2, twine.stdout
    return {"sdist": sdist, "wheel": wheel}


SCHEMAS = [
    f"flask_jsonapi/testing/schemas/{version}/{name}"
    for version in ("1.0", "1.1")
    for name in (
        "schema.json",
        "schema_create_resource.json",
        "schema_update_resource.json",
        "schema_update_relationship.json",
    )
]


def test_wheel_contents(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        (info,) = {name.split("/")[0] for name in names if ".dist-info/" in name}
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    for name in ("flask_jsonapi/py.typed", f"{info}/licenses/LICENSE", *SCHEMAS):
        assert name in names, name
    assert "flask_jsonapi/testing/pytest_plugin.py" in names
    assert not [name for name in names if name.startswith(("tests/", "examples/", "docs/"))]
    assert "[pytest11]\nflask_jsonapi = flask_jsonapi.testing.pytest_plugin" in entry_points
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata["License-File"] == "LICENSE"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL"))
    assert sorted(urls) == ["Changelog", "Documentation", "Homepage", "Issues", "Source"]
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert any(
        requirement.startswith("jsonschema") and 'extra == "testing"' in requirement
        for requirement in metadata.get_all("Requires-Dist")
    )


def test_sdist_contents(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    tracked = subprocess.run(
        ["git", "ls-files", "docs", "examples"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    expected = {"LICENSE", "CHANGELOG.md", "README.md", "flask_jsonapi/py.typed", *SCHEMAS}
    expected |= set(tracked) or {"docs/migrating.md", "docs/testing.md", "examples/blog/api.py"}
    assert expected <= names, sorted(expected - names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".db")]
