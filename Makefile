# make run   - set up everything and start the portal, worker and embedded Redis
# make test  - set up and run the test suite
# make bench - benchmarks (tests/bench), printing figures beside baselines measured in the same run
# make fuzz  - the form and webhook fuzz at length (FUZZ_EXAMPLES, default 200 per form)
# make eval  - search and triage quality on the evaluation sets (tests/eval)
# make lint  - ruff
# make i18n  - refresh the translation catalogs from the source

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# E-mailed links point at the port `make run` serves, unless PUBLIC_BASE_URL names the public address.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
# What a bare Debian or Ubuntu needs before anything else (the README's first lines name the same).
SYSTEM_PACKAGES := make python3 python3-venv

.PHONY: run test bench eval lint i18n setup clean fuzz check-system

setup: $(VENV)/.installed portal/translations/zh/LC_MESSAGES/messages.mo

# python3-venv is what Debian splits ensurepip into; without it `python3 -m venv` stops half-way.
check-system:
	@$(PYTHON) -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 || { \
	  echo "First install the system packages: sudo apt-get install $(SYSTEM_PACKAGES) (Python 3.11 or newer)"; exit 1; }

$(VENV)/.installed: requirements.txt requirements-dev.txt | check-system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

portal/translations/zh/LC_MESSAGES/messages.mo: portal/translations/zh/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d portal/translations

run: setup
	PORTAL_ENV=$${PORTAL_ENV:-development} PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/flask --app wsgi serve --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m pytest tests/bench -s -p no:randomly --override-ini addopts= $(BENCH_ARGS)

eval: setup
	$(BIN)/python -m tests.eval

lint: setup
	$(BIN)/ruff check .

i18n: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k N_plural:1,2 --no-location --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d portal/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# The form and webhook fuzz with many more examples than `make test` runs (FUZZ_EXAMPLES per form).
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest tests/security/test_fuzz.py $(PYTEST_ARGS)
