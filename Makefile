# The two commands of the quick start, and the checks around them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BOOT := .tools/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(BOOT)/bin/uv
UV_DEP := $(BOOT)/bin/uv
endif

.PHONY: bootstrap run test lint bench bench-org bench-rating bench-member k8s-check bench-funding bench-gateway bench-system bench-sync

$(BOOT)/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=…")'
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check uv

bootstrap: $(UV_DEP)
	@$(UV) sync --frozen --quiet --python "$$(command -v $(PYTHON))"

run: bootstrap
	$(VENV)/bin/python -m devstack run

test: bootstrap
	$(VENV)/bin/pytest

# Kubernetes manifests: every overlay rendered and validated offline (deploy/k8s/README.md).
# `make test` runs the same check (deploy/k8s/tests).
k8s-check: bootstrap
	$(VENV)/bin/python deploy/k8s/check.py

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Benchmarks print a table and write JSON under bench/results/ (see bench/README.md).
# `make bench`: every one at SIZE (default city), one after another, then one table of this
# run's results (the files carrying its BENCH_RUN) and the run's wall time.
bench: export BENCH_RUN := $(shell date +%s)
bench: bench-org bench-rating bench-member bench-funding bench-system bench-sync
	@$(VENV)/bin/python bench/summary.py --run $(BENCH_RUN)

bench-org: bootstrap
	$(VENV)/bin/python bench/org_coverage.py --size $(or $(SIZE),city)

bench-rating: bootstrap
	$(VENV)/bin/python bench/rating_campaign.py --size $(or $(SIZE),city)

bench-member: bootstrap
	$(VENV)/bin/python bench/member_records.py --size $(or $(SIZE),city)

bench-funding: bootstrap
	$(VENV)/bin/python bench/funding_ledger.py --size $(or $(SIZE),city)

# The whole system through the gateway: four screens (bench/system.py); bench-gateway is its
# home screen alone.
bench-system: bootstrap
	$(VENV)/bin/python bench/system.py --size $(or $(SIZE),city)

bench-gateway: bootstrap
	$(VENV)/bin/python bench/system.py --size $(or $(SIZE),city) --screens home

bench-sync: bootstrap
	$(VENV)/bin/python bench/sync_push.py --size $(or $(SIZE),city)$(if $(RECORDS), --records $(RECORDS)) --batch 5000
