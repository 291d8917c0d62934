# The two commands of the README: `make demo` and `make test`. Both create .venv when absent.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DB ?= sqlite:///demo.db
PORT ?= 8069
PYTEST_ARGS ?=

.PHONY: demo test test-postgres lint clean i18n catalogs

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python scripts/i18n.py compile >/dev/null
	touch $@

# Extract the marked strings (Python, templates, the POS page's scripts) and update every
# catalog (docs/translations.md); then translate the new entries of each .po.
i18n: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py update

# Compile every .po to its .mo (make's install does it; the app also does it for a changed .po).
catalogs: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py compile

demo: $(VENV)/.installed
	$(BIN)/core --db $(DEMO_DB) install --demo --all
	$(BIN)/core --db $(DEMO_DB) pos open 1
	$(BIN)/core --db $(DEMO_DB) pos open 2
	$(BIN)/core --db $(DEMO_DB) pos open 3
	@echo "Open http://127.0.0.1:$(PORT)/ and sign in as admin / admin123 (core: .venv/bin/core --db $(DEMO_DB) ...)"
	$(BIN)/core --db $(DEMO_DB) serve --port $(PORT)

test: $(VENV)/.installed
	-@scripts/ensure-chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	CORE_TEST_DB=postgresql://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) demo.db *.egg-info .pytest_cache test-artifacts
	find core addons -name '*.mo' -path '*/translations/*' -delete
