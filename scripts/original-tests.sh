#!/bin/sh
# Run the original flask-jsonapi's own test suite against this package (issue 11).
#
#   scripts/original-tests.sh PATH [pytest arguments...]
#
# PATH is a checkout (or `git archive` export) of socialwifi/flask-jsonapi; only its
# tests/ are used, copied to a temporary directory so that the original package next to
# them is never imported. The venv (.venv/original, inside the project's ignored .venv)
# gets this package and the original's test dependencies from PyPI.
set -eu
source_dir=${1:?usage: scripts/original-tests.sh PATH-TO-ORIGINAL [pytest arguments]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv/original"
if ! "$venv/bin/python" -c '' 2>/dev/null; then
    "${PYTHON:-python3}" -m venv --clear "$venv"
fi
"$venv/bin/python" -m pip install --quiet -e "$root[sqlalchemy,marshmallow-jsonapi]" \
    pytest sqlalchemy-utils
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$source_dir/tests" "$work/tests"
cd "$work"
"$venv/bin/pytest" -q -p no:cacheprovider -rf tests "$@"
