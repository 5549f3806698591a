# seqgan-np. Each target sets itself up (a virtual environment in .venv and
# the installs) when that is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# make oracle-experiment, table1, ablations and text-experiment settings
PRESET  ?=
SEED    ?= 0
SEEDS   ?=
STUDIES ?=
OUT     ?=
RESUME  ?=
BACKEND ?= numpy
ORACLE  ?=
PLAIN   ?=
TRAIN   ?=
TEST    ?=
TOKENIZER ?=
# make sample settings
RUN     ?=
N       ?= 20
TEMPERATURE ?= 1
MODEL   ?= seqgan
CUDA    ?= 12
GPU_EXTRA = gpu-cuda$(CUDA)

.DEFAULT_GOAL := help
.PHONY: help test test-gpu tutorials lab oracle-experiment table1 ablations text-experiment sample bench clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,tutorials]'
	touch $@

test: $(STAMP)  ## run the test suite (gradient checks, estimators, plain = fast, the tutorials)
	$(PY) -m pytest -q

test-gpu: $(STAMP)  ## the same parity checks on the real CuPy and a GPU (CUDA=12|13; skipped without them)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[$(GPU_EXTRA)]'
	$(PY) -m pytest -q -m gpu

tutorials: $(STAMP)  ## re-run the notebooks in tutorials/ in place, refreshing their outputs
	$(PY) tutorials/execute.py --in-place

lab: $(STAMP)  ## open the tutorials in JupyterLab
	$(PY) -m pip install -q --disable-pip-version-check -e '.[lab]'
	$(PY) -m jupyter lab tutorials/

oracle-experiment: $(STAMP)  ## SeqGAN vs MLE on the oracle task (PRESET=standard|paper|quick ORACLE=file SEED=0 BACKEND=numpy|cupy CUDA=12|13 PLAIN=1: the plain code)
ifeq ($(BACKEND),cupy)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[$(GPU_EXTRA)]'
endif
	$(PY) -m seqgan_np oracle-experiment --preset $(or $(PRESET),standard) --seed $(SEED) --backend $(BACKEND) $(if $(ORACLE),--oracle-params $(ORACLE)) $(if $(PLAIN),--plain)

table1: $(STAMP)  ## Table 1 over seeds with controls and statistics (PRESET ORACLE BACKEND PLAIN as above, SEEDS=5 SEED=0 first seed, OUT=dir, RESUME=dir)
ifeq ($(BACKEND),cupy)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[$(GPU_EXTRA)]'
endif
ifeq ($(RESUME),)
	$(PY) -m seqgan_np table1 --preset $(or $(PRESET),standard) --seeds $(or $(SEEDS),5) --seed $(SEED) --backend $(BACKEND) $(if $(ORACLE),--oracle-params $(ORACLE)) $(if $(OUT),--out $(OUT)) $(if $(PLAIN),--plain)
else
	$(PY) -m seqgan_np table1 --resume $(RESUME)
endif

ablations: $(STAMP)  ## six studies of what SeqGAN depends on (PRESET=ablations SEEDS=3 STUDIES=optimiser,rollouts,... ORACLE OUT RESUME as above; about 2 h)
ifeq ($(RESUME),)
	$(PY) -m seqgan_np ablations $(if $(PRESET),--preset $(PRESET)) $(if $(SEEDS),--seeds $(SEEDS)) --seed $(SEED) --backend $(BACKEND) $(if $(ORACLE),--oracle-params $(ORACLE)) $(if $(STUDIES),--studies $(STUDIES)) $(if $(OUT),--out $(OUT)) $(if $(PLAIN),--plain)
else
	$(PY) -m seqgan_np ablations --resume $(RESUME)
endif

text-experiment: $(STAMP)  ## SeqGAN on text (PRESET=poems|coco|quick TRAIN=file TEST=file TOKENIZER=words|chars|coco SEED SEEDS OUT RESUME BACKEND PLAIN; poems 38 min on 2 cores)
ifeq ($(RESUME),)
	$(PY) -m seqgan_np text --preset $(or $(PRESET),poems) --seed $(SEED) $(if $(SEEDS),--seeds $(SEEDS)) --backend $(BACKEND) $(if $(TRAIN),--train $(TRAIN)) $(if $(TEST),--test $(TEST)) $(if $(TOKENIZER),--tokenizer $(TOKENIZER)) $(if $(OUT),--out $(OUT)) $(if $(PLAIN),--plain)
else
	$(PY) -m seqgan_np text --resume $(RESUME)
endif

sample: $(STAMP)  ## print samples of a saved run's generator (RUN=folder N=20 TEMPERATURE=1 MODEL=seqgan|mle|constant SEED=0)
	$(PY) -m seqgan_np sample $(RUN) --n $(N) --temperature $(TEMPERATURE) --model $(MODEL) --seed $(SEED)

bench: $(STAMP)  ## time every phase at the paper's sizes, fast code (BACKEND=numpy|cupy CUDA=12|13; last line JSON)
ifeq ($(BACKEND),cupy)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[$(GPU_EXTRA)]'
endif
	$(PY) -m seqgan_np bench --backend $(BACKEND)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache build *.egg-info
