# sbn-hw: every target does its own set-up, so a fresh clone needs only `make demo` or `make test`.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# `make demo MODEL=cnn-s`: the small CNN on mnist5k (the dataset it is sized for). The MLPs (digits-mlp,
# tfc, sfc, lfc) take DATASET=digits|mnist5k, digits-cnn needs digits' 8x8 or larger, cnn-s 16x16 or
# larger; cnv needs CIFAR-10's 32x32 (sbn-hw build --dataset cifar10 --data-dir DIR --model cnv).
MODEL   ?=
DATASET ?= $(if $(filter cnn-s,$(MODEL)),mnist5k,digits)
BUILD   ?= build/$(DATASET)$(if $(MODEL),-$(MODEL))
# Passed to pytest, e.g. `make test PYTEST_ARGS="-m slow"`.
PYTEST_ARGS ?=
JOBS    ?= 2

.PHONY: setup demo test test-all bench lock clean

setup: $(STAMP)

# torch first and pinned: anything else would pull a multi-GB CUDA build (see docs/ENVIRONMENT.md).
# --no-deps everywhere: requirements.lock is the complete, resolved set.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m sbn_hw.verify.tools --check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sbn-hw build --dataset $(DATASET) $(if $(MODEL),--model $(MODEL)) --out $(BUILD)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -q $(PYTEST_ARGS)

test-all: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -q -m "slow or not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/pipeline.py

lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | sed 's/+cpu//' > requirements.lock

clean:
	rm -rf build sim_build .pytest_cache
