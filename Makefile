# Two commands from a fresh clone (needs only python3 and make):
#   make run    serve the blog demo on http://127.0.0.1:5000
#   make test   lint, check formatting and run the test suite
#   make bench  speed against the peers (benchmarks/README.md); make bench-http: under gunicorn
#   make original-tests ORIGINAL=path   the original flask-jsonapi's test suite against ours
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever pyproject.toml changes, not only when .venv is missing.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: .venv venv test run lint format clean bench bench-http original-tests

.venv: $(STAMP)
venv: $(STAMP)

# A venv whose interpreter no longer runs (moved checkout, removed Python) is rebuilt.
$(STAMP): pyproject.toml
	@$(BIN)/python -c '' 2>/dev/null || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

run: $(STAMP)
	$(BIN)/python -m examples.blog

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Each target gets its own venv under benchmarks/.venvs, created by the runner itself.
bench:
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

bench-http:
	$(PYTHON) benchmarks/bench_http.py $(BENCH_ARGS)

# ORIGINAL: a checkout of socialwifi/flask-jsonapi (nothing is fetched but PyPI packages).
original-tests:
	scripts/original-tests.sh $(ORIGINAL)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	rm -f examples/blog/blog.db examples/blog/blog.db-journal
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
