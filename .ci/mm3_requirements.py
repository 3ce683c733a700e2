"""Print the ``dev`` extra of pyproject.toml without the minfork: the tools of .venv-mm3.

`make test-mm3` installs these with the ``marshmallow-jsonapi`` extra (upstream, marshmallow
3); the minfork installs the same module name and needs marshmallow 4.
"""

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, vendored by pip
    from pip._vendor import tomli as tomllib

pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
for requirement in pyproject["project"]["optional-dependencies"]["dev"]:
    if "minfork" not in requirement:
        print(requirement)
