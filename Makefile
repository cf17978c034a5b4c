# The two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` serves on PORT (default 5000); links in emails follow it unless BASE_URL is set.
PORT ?= 5000

.PHONY: run test install browser axe redis wrk cairo lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) cairo

# Debian's Cairo, which cairosvg needs to turn the course drawings (SVG) into PNG for email.
cairo:
	@if ! ldconfig -p | grep -q 'libcairo\.so\.2 '; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libcairo2 >/dev/null; \
		else echo "libcairo2 missing: drawings cannot be converted (apt-get install libcairo2)"; fi; \
	fi

# Debian's Chromium for the browser tests (Playwright's own browser download needs a network).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing: browser tests will skip (apt-get install chromium)"; fi; \
	fi

# Debian's Redis for the shared rate-limit store's tests (each test runs its own server).
redis:
	@if ! command -v redis-server >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
		else echo "redis-server missing: the shared-store tests will skip (apt-get install redis-server)"; fi; \
	fi

# axe-core, the accessibility rules the browser tests inject into each page: from the npm
# registry into node_modules/ (kept out of git), at the version the figures were made with.
AXE_VERSION := 4.14.1
axe: node_modules/axe-core/axe.min.js
node_modules/axe-core/axe.min.js:
	npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

# Debian's wrk, the load generator of benchmarks/load.py.
wrk:
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk missing: the load benchmark cannot run (apt-get install wrk)"; fi; \
	fi

run: $(STAMP) cairo
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi lessons import
	$(BIN)/flask --app wsgi drawings build
	BASE_URL="$${BASE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/honcho -f Procfile.dev start --port $(PORT)

test: $(STAMP) cairo browser axe redis
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/flask --app wsgi lessons check lessons
	$(BIN)/pytest -q

bench: $(STAMP) wrk
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
