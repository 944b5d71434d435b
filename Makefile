# edstats — the two commands of the README are `make report` and `make test`.
# Both set up their own virtual environment (.venv) from the pinned dependencies first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   := data/raw
SEED   ?= 2026
SCALE  ?= city
PERIOD ?=

.PHONY: help setup data report test bench lock clean

help:
	@echo "make report   set up, make synthetic data if $(DATA) is empty, write the papers to reports/<period>/"
	@echo "make test     set up and run the whole test suite (nbval over notebooks/ included)"
	@echo "make bench    time the pipeline steps (median of several runs)"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $@

setup: $(STAMP)

# The embedded synthetic data, made only when the data folder holds no dataset yet.
data: $(STAMP)
	@if [ -z "$$(find $(DATA) -mindepth 1 -maxdepth 1 ! -name '.gitkeep' 2>/dev/null)" ]; then \
		$(BIN)/edstats synth --out $(DATA) --scale $(SCALE) --seed $(SEED); \
	else echo "Using the data already in $(DATA)/"; fi

report: data
	$(BIN)/edstats report --data $(DATA) --out reports $(if $(PERIOD),--period $(PERIOD))

test: data
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks/

bench: data
	$(BIN)/python -m edstats.bench --scale $(SCALE) --sessions

lock: $(STAMP)
	@{ echo "# Every package edstats installs, pinned (pip constraints). Regenerate with: make lock"; \
	   $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock

clean:
	rm -rf build reports/*/ data/processed/cache
