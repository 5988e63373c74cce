# The two commands of the README, and their set-up. Works on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
DB ?= btxh.db
PORT ?= 8001

.PHONY: serve test chromium bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## make serve: install, build a demo btxh.db if it is missing, serve on http://127.0.0.1:8001/
serve: $(VENV)/.installed
	$(VENV)/bin/btxh serve $(DB) --port $(PORT)

## make test: install everything (Debian's Chromium included) and run the whole test suite
test: $(VENV)/.installed chromium
	$(PY) -m pytest

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

## make bench: the national-scale benchmarks (not part of the test suite; ~15 minutes)
bench: $(VENV)/.installed
	$(PY) bench/bench_foundation.py

clean:
	rm -rf $(VENV) .pytest_cache
