# Set-up and common tasks. `make run` and `make test` install everything they need into
# .venv first (Python >= 3.12 is found on PATH or in pyenv's versions).
SHELL := /bin/bash
VENV := .venv
PYTHON312 := $(shell for c in python3.12 python3.13 python3 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3; do \
	$$c -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: install run test test-fast bench lint clean assets

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo "ssrsim needs Python >= 3.12 (none found on PATH or in pyenv)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install  ## install, then run the baseline scenario
	$(VENV)/bin/ssrsim run scenarios/baseline.yaml

test: install  ## install, then run the whole test suite (what CI runs)
	$(VENV)/bin/python -m pytest

test-fast: install  ## the daily subset: everything but the slow, browser and validation tests
	$(VENV)/bin/python -m pytest -m "not slow and not browser and not validation"

assets: install  ## fill solara's CDN cache from npm so the browser app works offline
	$(VENV)/bin/python -m ssrsim.app.assets

bench: install  ## speed and memory figures (see benchmarks/README.md)
	$(VENV)/bin/python benchmarks/bench_core.py

lint: install  ## ruff over the code, tests and benchmarks; mypy over the package (pyproject.toml)
	$(VENV)/bin/ruff check ssrsim tests benchmarks
	$(VENV)/bin/mypy ssrsim

clean:
	rm -rf $(VENV) runs build *.egg-info
