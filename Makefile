# The two commands of the README: `make demo` and `make test`. Both create .venv when absent.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DB ?= sqlite:///demo.db
DEMO_PASSWORD ?= comptoir-demo
PYTEST_ARGS ?=

.PHONY: demo test test-postgres clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/core --db $(DEMO_DB) init
	CORE_ADMIN_PASSWORD=$(DEMO_PASSWORD) $(BIN)/core --db $(DEMO_DB) user add admin
	$(BIN)/core --db $(DEMO_DB) install --demo --all
	@echo "Sign in at http://127.0.0.1:8069/web as admin / $(DEMO_PASSWORD)"
	$(BIN)/core --db $(DEMO_DB) serve

test: $(VENV)/.installed
	-@scripts/ensure-chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	CORE_TEST_DB=postgresql://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo.db *.egg-info .pytest_cache test-artifacts
