# dct.trust_stack: entry points. `make lab` sets up a lab on this machine,
# `make test` runs the whole suite (what .ci/run calls).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV        := $(ROOT)/.venv
PY          ?= python3
BIN         := $(VENV)/bin
COLL_ROOT   := $(ROOT)/build/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/dct/trust_stack
# images first: the other scenarios use what it builds
SCENARIOS   ?= images $(filter-out images,$(notdir $(patsubst %/molecule.yml,%,$(wildcard $(ROOT)/molecule/*/molecule.yml))))

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT):$(VENV)/lib/python3.11/site-packages
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help venv docker collection lab lab-stack lint yamllint ansible-lint sanity unit molecule test bench build clean-lab

help:
	@echo "make lab    - install what is missing, build the images, deploy the lab stack on this machine"
	@echo "make test   - lint, ansible-test sanity, unit tests and every molecule scenario ($(SCENARIOS))"
	@echo "make bench  - measure the collection against plain docker / CLI loops (needs the lab); writes docs/BENCHMARKS.md"
	@echo "make build  - build the collection tarball into build/"

$(BIN)/ansible-playbook: requirements.txt
	@echo "== creating the Python venv in .venv from requirements.txt"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(BIN)/ansible-playbook

docker:
	@bash $(ROOT)/scripts/bootstrap-docker.sh

# Ansible resolves dct.trust_stack.* to this checkout through a link in build/.
collection: venv
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(ROOT) $(COLL_LINK)

lab: venv docker collection
	@bash $(ROOT)/scripts/lab.sh

yamllint: venv
	yamllint -s .

ansible-lint: collection
	ansible-lint --profile production

lint: yamllint ansible-lint

sanity: venv
	bash $(ROOT)/scripts/sanity.sh

unit: collection
	cd $(ROOT) && python -m pytest -q tests/unit

# images first, faults last (it restarts dockerd), the others in parallel: see scripts/molecule.sh
molecule: venv docker collection
	@bash $(ROOT)/scripts/molecule.sh $(SCENARIOS)

test: lint sanity unit molecule
	@echo "make test: all passed"

build: collection
	mkdir -p build
	ansible-galaxy collection build --force --output-path build .

# not part of `make test`: BENCH_RUNS=3 by default; `make bench BENCH_ONLY="sign"` re-measures one part
bench: lab
	$(BIN)/python $(ROOT)/bench/bench.py $(BENCH_ONLY)

clean-lab:
	@bash $(ROOT)/scripts/lab.sh --destroy
