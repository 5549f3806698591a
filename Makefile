# seqgan-np. Each target sets itself up (a virtual environment in .venv and
# the installs) when that is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# make oracle-experiment settings
PRESET  ?= standard
SEED    ?= 0
BACKEND ?= numpy
ORACLE  ?=

.DEFAULT_GOAL := help
.PHONY: help test oracle-experiment bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

test: $(STAMP)  ## run the test suite (gradient checks, estimators, oracle)
	$(PY) -m pytest -q

oracle-experiment: $(STAMP)  ## SeqGAN vs MLE on the oracle task (PRESET=standard|paper|quick ORACLE=file SEED=0 BACKEND=numpy|cupy)
ifeq ($(BACKEND),cupy)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[gpu]'
endif
	$(PY) -m seqgan_np oracle-experiment --preset $(PRESET) --seed $(SEED) --backend $(BACKEND) $(if $(ORACLE),--oracle-params $(ORACLE))

bench: $(STAMP)  ## time every phase at the paper's sizes (BACKEND=numpy|cupy; last line JSON)
ifeq ($(BACKEND),cupy)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[gpu]'
endif
	$(PY) -m seqgan_np bench --backend $(BACKEND)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache build *.egg-info
