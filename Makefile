# dct.trust_stack: entry points. `make lab` sets up a lab on this machine,
# `make test` runs the whole suite (what .ci/run calls).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

comma       := ,
ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# The supported ansible-core range (meta/runtime.yml, README "Supported versions"): sanity and unit tests run on
# both ends, each in its own venv; lint, molecule and the lab use the newest (.venv).
# ansible-core 2.21 needs Python 3.12+; 2.19 runs on 3.11 (Debian 12's python3).
PY_VERSION  := 3.12
PY          ?= $(firstword $(wildcard /usr/bin/python$(PY_VERSION) /usr/local/bin/python$(PY_VERSION) $(HOME)/.pyenv/versions/$(PY_VERSION)*/bin/python$(PY_VERSION)))
PY_OLDEST   ?= $(firstword $(wildcard /usr/bin/python3.11 $(HOME)/.pyenv/versions/3.11*/bin/python3.11))
VENV        := $(ROOT)/.venv
BIN         := $(VENV)/bin
VENV_OLDEST := $(ROOT)/.venv-oldest
COLL_ROOT   := $(ROOT)/build/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/dct/trust_stack
# images first: the other scenarios use what it builds
SCENARIOS   ?= images $(filter-out images,$(notdir $(patsubst %/molecule.yml,%,$(wildcard $(ROOT)/molecule/*/molecule.yml))))

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT):$(VENV)/lib/python$(PY_VERSION)/site-packages
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help venv venv-oldest docker collection lab lab-stack lint yamllint ansible-lint docs-lint docs changelog sanity sanity-oldest unit unit-oldest molecule readme-test test bench build clean-lab

help:
	@echo "make lab    - install what is missing, build the images, deploy the lab stack on this machine"
	@echo "make test   - lint, docs lint, ansible-test sanity and unit tests on ansible-core 2.19 and 2.21, every molecule scenario ($(SCENARIOS)) on 2.21"
	@echo "make readme-test - make lab, then run the README's examples against it as pasted"
	@echo "make docs   - render the collection's documentation (HTML) into build/docs/"
	@echo "make bench  - measure the collection against plain docker / CLI loops (needs the lab); writes docs/BENCHMARKS.md"
	@echo "make build  - build the collection tarball into build/"

$(BIN)/ansible-playbook: requirements.txt
	@test -n "$(PY)" || { echo "make: no python$(PY_VERSION) found: ansible-core 2.21 needs Python 3.12 or newer; install one, or give PY=/path/to/python3.12"; exit 1; }
	@echo "== creating the Python venv in .venv ($(PY)) from requirements.txt"
	$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma) ,$(PY_VERSION))))' 2>/dev/null || { rm -rf $(VENV); $(PY) -m venv $(VENV); }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(BIN)/ansible-playbook

$(VENV_OLDEST)/bin/ansible-test: tests/requirements-oldest.txt
	@test -n "$(PY_OLDEST)" || { echo "make: no python3.11 found for the oldest ansible-core; give PY_OLDEST=/path/to/python3.11"; exit 1; }
	@echo "== creating the Python venv in .venv-oldest ($(PY_OLDEST)) from tests/requirements-oldest.txt"
	test -x $(VENV_OLDEST)/bin/python || $(PY_OLDEST) -m venv $(VENV_OLDEST)
	$(VENV_OLDEST)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-oldest.txt
	touch $@

venv-oldest: $(VENV_OLDEST)/bin/ansible-test

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

# the oldest ansible-core of the range: its own venv, and only this checkout on the collections path
sanity-oldest: venv-oldest
	PATH=$(VENV_OLDEST)/bin:$$PATH bash $(ROOT)/scripts/sanity.sh

unit: collection
	cd $(ROOT) && python -m pytest -q tests/unit

unit-oldest: venv-oldest collection
	cd $(ROOT) && ANSIBLE_COLLECTIONS_PATH=$(COLL_ROOT) $(VENV_OLDEST)/bin/python -m pytest -q -p no:cacheprovider tests/unit

# antsibull-docs checks the modules', plugins' and roles' documentation (schema, markup, references)
docs-lint: collection
	cd $(COLL_LINK) && antsibull-docs lint-collection-docs --plugin-docs .

# the changelog fragments are valid, and a change users see since the last release has one (docs/UPGRADING.md)
changelog: venv
	cd $(ROOT) && antsibull-changelog lint && python scripts/changelog_check.py

# the collection's documentation site (HTML) in build/docs/build/html; its Sphinx tools come from requirements-docs.txt
docs: collection
	pip install --quiet --disable-pip-version-check -r $(ROOT)/docs/requirements-docs.txt
	rm -rf $(ROOT)/build/docs && install -d -m 0755 $(ROOT)/build/docs
	antsibull-docs sphinx-init --use-current --lenient --dest-dir $(ROOT)/build/docs dct.trust_stack
	cd $(ROOT)/build/docs && bash build.sh
	@echo "make docs: open build/docs/build/html/index.html"

# images first, the others in parallel, then upgrade, faults last (it restarts dockerd): see scripts/molecule.sh
molecule: venv docker collection
	@bash $(ROOT)/scripts/molecule.sh $(SCENARIOS)

# the README's examples, as pasted, against the lab (scripts/readme_test.py)
readme-test: lab
	python $(ROOT)/scripts/readme_test.py

test: lint docs-lint changelog sanity sanity-oldest unit unit-oldest molecule readme-test
	@echo "make test: all passed"

build: collection
	mkdir -p build
	ansible-galaxy collection build --force --output-path build .

# not part of `make test`: BENCH_RUNS=3 by default; `make bench BENCH_ONLY="sign"` re-measures one part
bench: lab
	$(BIN)/python $(ROOT)/bench/bench.py $(BENCH_ONLY)

clean-lab:
	@bash $(ROOT)/scripts/lab.sh --destroy
