# Developer entry points. `make test` is the one CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
STAGE := tests/stage.sh

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the pinned test virtualenv

.PHONY: docker
docker: ## Make sure a Docker engine answers (installs and starts one as root)
	tests/testbed/ensure-docker.sh

.PHONY: lint
lint: venv ## yamllint and ansible-lint (profile production)
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint

.PHONY: unit
unit: venv ## Python unit tests of the plugins
	$(BIN)/pytest -q tests/unit

.PHONY: sanity
sanity: venv ## ansible-test sanity for the plugins
	tests/sanity.sh

.PHONY: testbed
testbed: venv docker ## Build the local images, signed mirrors and WSL stand-ins
	tests/testbed/build.sh

.PHONY: molecule
molecule: testbed ## Run every molecule scenario
	tests/molecule.sh

.PHONY: test
test: ## Everything CI runs, with the time each stage took
	$(STAGE) venv $(MAKE) --no-print-directory venv
	$(STAGE) docker $(MAKE) --no-print-directory docker
	$(STAGE) lint $(MAKE) --no-print-directory lint
	$(STAGE) unit $(MAKE) --no-print-directory unit
	$(STAGE) sanity $(MAKE) --no-print-directory sanity
	$(STAGE) testbed $(MAKE) --no-print-directory testbed
	$(STAGE) molecule $(MAKE) --no-print-directory molecule
	$(STAGE) --summary

.PHONY: demo
demo: testbed ## Run the site playbook against a simulated WSL laptop (a container)
	tests/demo.sh

.PHONY: bench
bench: testbed ## Benchmark against the manual procedure, a bare play and geerlingguy.docker (prints ratios; not part of test)
	bench/run.sh
