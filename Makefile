# Entry points of celery-repro. uv is installed into .tools/ when it is not on PATH.
NAME ?= conn_max_age
ARGS ?=
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
SYNCED := .venv/.synced

.PHONY: help scenario report list bisect timeline claims test unit bench schema engine engine-stop images clean-cache doctor
.DEFAULT_GOAL := help

help:  ## list the targets (this); `make` alone starts nothing
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

scenario: $(SYNCED)  ## run one scenario: make scenario NAME=conn_max_age [ARGS="--celery 5.4.0"]
	$(UV) run --frozen harness run $(NAME) $(ARGS)

report: $(SYNCED)  ## rebuild table, Markdown and chart of the newest run of NAME
	$(UV) run --frozen harness report $(NAME)

bisect: $(SYNCED)  ## first release where NAME's verdict flips: make bisect NAME=conn_max_age ARGS="--good 5.5.3 --bad 5.7.0"
	$(UV) run --frozen harness bisect $(NAME) $(ARGS)

timeline: $(SYNCED)  ## NAME's metric across every release in a range: make timeline NAME=conn_max_age ARGS="--from 5.5.0 --to 5.7.0"
	$(UV) run --frozen harness timeline $(NAME) $(ARGS)

claims: $(SYNCED)  ## every scenario's claims, confirmed or refuted, from its newest run of the default cells
	$(UV) run --frozen harness claims

doctor: $(SYNCED)  ## which claims apply to your project, with what was measured: make doctor ARGS="--project DIR"
	$(UV) run --frozen harness doctor $(ARGS)

list: $(SYNCED)  ## every scenario: claim, settings, workload, cells and verdict rule (starts nothing)
	$(UV) run --frozen harness list

test: $(SYNCED)  ## unit + integration tests (real local stack)
	$(UV) run --frozen pytest

unit: $(SYNCED)  ## unit tests only (no server started)
	$(UV) run --frozen pytest tests/unit

bench: $(SYNCED)  ## record stack start, the warm conn_max_age run against its bursts (per-phase breakdown), dispatch and probe figures
	$(UV) run --frozen python -m benchmarks.bench

schema: $(SYNCED)  ## rewrite results/record.schema.json from the record's declaration
	$(UV) run --frozen python -m harness.record > results/record.schema.json.partial
	mv results/record.schema.json.partial results/record.schema.json

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv

engine:  ## install and start a Docker engine for --stack compose (root; fenced to loopback and its own bridges)
	bash compose/engine.sh start

engine-stop:  ## stop the engine that make engine started
	bash compose/engine.sh stop

images:  ## build the Compose backend's images from the Debian mirror where no registry is in reach
	bash compose/images.sh all

clean-cache: $(SYNCED)  ## forget cached cell virtualenvs, wheels and resolved pins (nothing else in REPRO_CACHE_DIR)
	$(UV) run --frozen harness clean-cache
