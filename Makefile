PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo studio test test-all lint fuzz bench clean

install: $(STAMP)

# Re-run only when the dependencies change; `make install` is idempotent.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/sessiongen render safe-place --var name=Alex --var cue_word=harbour -o output/demo-safe-place-alex.mp3

studio: install
	$(BIN)/sessiongen studio

lint: install
	$(BIN)/ruff check sessiongen tests benchmarks

test: install lint
	sh tests/browser/setup.sh
	sh tests/formats_setup.sh
	$(BIN)/python -m pytest -q -m "not slow"

# Everything, with the slow real-voice sweeps (e.g. the Spanish library with Kokoro's ef_dora).
test-all: install lint
	sh tests/browser/setup.sh
	sh tests/formats_setup.sh
	$(BIN)/python -m pytest -q

# The fuzzing harness (tests/fuzz) with a far larger budget and random seeds; `make test` runs it small and fixed.
fuzz: install
	SESSIONGEN_FUZZ=long $(BIN)/python -m pytest -q tests/fuzz --hypothesis-show-statistics

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) output/*.mp3 output/*.wav
