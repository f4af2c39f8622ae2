# madoguchi: every target installs what it needs from the project's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
PORT ?= 8000

.PHONY: run test test-fast bench lint system-deps browser-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## run: start the embedded local stack on http://127.0.0.1:$(PORT)
run: $(STAMP) system-deps
	PORT=$(PORT) $(PY) infra/local/run.py

## test: the whole suite (unit, integration on the local stack, template, browser)
test: $(STAMP) system-deps
	$(PY) -m pytest

## test-fast: everything except the browser suite
test-fast: $(STAMP) system-deps
	$(PY) -m pytest -m "not browser"

## bench: benchmarks; results go to docs/benchmarks.md
bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check functions layers infra tests benchmarks

## system-deps: Debian packages: Chromium for the browser tests (Playwright cannot download
## a browser here), CJK fonts for pages and PDF notices, Pango for WeasyPrint
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-ipamj-mincho libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-deps:
	@missing=$$(for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || echo $$package; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages: $$missing. Run: sudo apt-get install $$missing" >&2; exit 1; fi; \
	fi

browser-deps: system-deps

# Called by `sam build` for the SharedLayer (BuildMethod: makefile): the domain package,
# the procedure definitions and the runtime dependencies for python3.13 on arm64.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -R layers/madoguchi/madoguchi "$(ARTIFACTS_DIR)/python/"
	cp -R procedures "$(ARTIFACTS_DIR)/python/procedures"
	$(PYTHON) -m pip install --quiet -r layers/madoguchi/requirements.txt \
	  --target "$(ARTIFACTS_DIR)/python" --platform manylinux2014_aarch64 \
	  --implementation cp --python-version 3.13 --only-binary=:all:

# The chatbot's tokeniser and dictionary (about 110 MB), only in the ChatFunction.
build-ChatLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	$(PYTHON) -m pip install --quiet -r layers/chat/requirements.txt \
	  --target "$(ARTIFACTS_DIR)/python" --platform manylinux2014_aarch64 \
	  --implementation cp --python-version 3.13 --only-binary=:all:

clean:
	rm -rf $(VENV) .pytest_cache
