# make run   - set up everything and start the portal, worker and embedded Redis
# make test  - set up and run the test suite
# make bench - benchmarks (tests/bench), printing figures beside baselines measured in the same run
# make eval  - search and triage quality on the evaluation sets (tests/eval)
# make lint  - ruff
# make i18n  - refresh the translation catalogs from the source

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test bench eval lint i18n setup clean

setup: $(VENV)/.installed portal/translations/zh/LC_MESSAGES/messages.mo

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

portal/translations/zh/LC_MESSAGES/messages.mo: portal/translations/zh/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d portal/translations

run: setup
	PORTAL_ENV=$${PORTAL_ENV:-development} $(BIN)/flask --app wsgi serve --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m pytest tests/bench -s -p no:randomly --override-ini addopts= $(BENCH_ARGS)

eval: setup
	$(BIN)/python -m tests.eval

lint: setup
	$(BIN)/ruff check .

i18n: setup
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k N_plural:1,2 --no-location --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d portal/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
