# Two commands from a fresh clone (needs only python3 and make):
#   make run    serve the blog demo on http://127.0.0.1:5000 (make run PORT=5055 HOST=0.0.0.0)
#               on SQLite, or on BLOG_DATABASE_URL=postgresql+psycopg://user@host/db when set
#   make test   lint, check formatting and run the test suite (make fuzz: longer property tests)
#   make docs   build the documentation site into site/ (mkdocs.yml)
#   make bench  speed against the peers (benchmarks/README.md); make bench-http: under gunicorn
#   make stress the demo under gunicorn (4 workers x 4 threads) on PostgreSQL, worked by concurrent
#               clients while connections are killed; asserts no 5xx, no lost update (docs/stress.md).
#               Database: STRESS_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test,
#               its blog tables are dropped); STRESS_ARGS="--duration 30 --clients 8"
#   make original-tests ORIGINAL=path   the original flask-jsonapi's test suite against ours
#   make mutate plant small bugs in the core modules; the kill ratio per module (tests/MUTATION.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever pyproject.toml changes, not only when .venv is missing.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: .venv venv test run lint format clean bench bench-http original-tests stress

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
	@$(MAKE) --no-print-directory test-mm3

# The property tests of tests/test_conditional_properties.py with the hypothesis profile
# "fuzz" (tests/conftest.py): 500 examples each instead of the 25 of `make test`.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/pytest --hypothesis-profile=fuzz tests/test_conditional_properties.py

# The demo's address: make run PORT=5055 (port 5000 is AirPlay's on macOS), HOST=0.0.0.0.
# HOST is not taken from the environment (shells and containers export it as a host name).
PORT ?= 5000
HOST = 127.0.0.1

run: $(STAMP)
	$(BIN)/python -m examples.blog --host $(HOST) --port $(PORT)

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

# The docs site: its tools go into the same .venv, on top of the dev install.
DOCS_STAMP := $(VENV)/.installed-docs
.PHONY: docs docs-serve

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	@touch $@

# --strict: a broken link, a page missing from the nav or a bad reference fails the build.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(DOCS_STAMP)
	$(BIN)/mkdocs serve

# Bounded: 60 s of load by default, under 3 minutes in all once .venv exists.
STRESS_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

stress: $(STAMP)
	$(BIN)/python scripts/stress.py --database-url '$(STRESS_DATABASE_URL)' $(STRESS_ARGS)

# ORIGINAL: a checkout of socialwifi/flask-jsonapi (nothing is fetched but PyPI packages).
original-tests:
	scripts/original-tests.sh $(ORIGINAL)

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .ruff_cache .hypothesis
	rm -f examples/blog/blog.db examples/blog/blog.db-journal
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# --- marshmallow 3 (issue 11 a0) ------------------------------------------------------
# `make test` runs pytest a second time, in .venv-mm3: marshmallow 3 with the upstream
# marshmallow-jsonapi 0.24 (the minfork in .venv installs the same module name, so the two
# need separate venvs). It gets the `dev` tools except the minfork, plus the
# `marshmallow-jsonapi` extra. Each pytest run ends with the versions it ran on.
VENV_MM3 := .venv-mm3
BIN_MM3 := $(VENV_MM3)/bin
STAMP_MM3 := $(VENV_MM3)/.installed
.PHONY: venv-mm3 test-mm3 clean-mm3

$(STAMP_MM3): pyproject.toml
	@$(BIN_MM3)/python -c '' 2>/dev/null || $(PYTHON) -m venv --clear $(VENV_MM3)
	$(BIN_MM3)/python -m pip install --quiet --upgrade pip
	$(BIN_MM3)/python .ci/mm3_requirements.py > $(VENV_MM3)/dev-requirements.txt
	$(BIN_MM3)/python -m pip install --quiet -r $(VENV_MM3)/dev-requirements.txt -e '.[marshmallow-jsonapi]'
	@touch $@

venv-mm3: $(STAMP_MM3)

# On SQLite only: what differs between the majors is schema code, never SQL, and a second
# PostgreSQL run would double the time of `make test` for nothing.
test-mm3: $(STAMP_MM3)
	JSONAPI_TEST_DATABASE_URL= $(BIN_MM3)/pytest

clean: clean-mm3
clean-mm3:
	rm -rf $(VENV_MM3)

# --- scale-out (issue 13 item 3) -------------------------------------------------------
# A primary + streaming replica, PgBouncer and two gunicorn instances behind HAProxy, all
# on loopback in a temporary directory, measured and torn down (benchmarks/scale.py; root:
# it installs Debian packages when missing and runs PostgreSQL as the postgres user).
.PHONY: scale
scale:
	$(PYTHON) benchmarks/scale.py $(SCALE_ARGS)

# --- mutation testing (issue 10 item 7) ------------------------------------------------
# mutmut (into .venv) plants small bugs in the core modules one at a time, each module's
# mutants against the tests that exercise it, on SQLite; it prints the kill ratio per
# module (tests/MUTATION.md). MUTATE_ARGS="--budget 600 links" bounds or picks modules.
MUTATE_STAMP := $(VENV)/.installed-mutmut
MUTATE_ARGS ?=
.PHONY: mutate

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.8,<4'
	@touch $@

mutate: $(MUTATE_STAMP)
	$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)
