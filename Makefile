# LabTrack: `make run` to try it with demo data, `make test` to run every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install clean-db messages translations bench system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

## Compile each translation catalogue (.po, committed) into the .mo Flask-Babel reads
## (built here, never committed): install, run and test all do it.
CATALOGUES := $(wildcard labtrack/translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGUES:.po=.mo)

labtrack/translations/%/LC_MESSAGES/messages.mo: labtrack/translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

## Start LabTrack on SQLite (instance/labtrack.sqlite3) with demo data.
run: $(STAMP) translations
	$(BIN)/labtrack db upgrade
	$(BIN)/labtrack seed-demo --if-empty
	$(BIN)/labtrack run --host $(HOST) --port $(PORT)

## The Debian packages the tests use (Chromium, zbar, poppler); installs only what is missing.
system-packages:
	bash .ci/system-packages

## Run the whole suite (PostgreSQL too when LABTRACK_TEST_DATABASE_URL is set).
## LABTRACK_TEST_NOW=2026-10-25T00:30:00Z runs it as on that date and hour.
PYTEST_ARGS ?= -n auto --dist loadfile --durations=15
test: $(STAMP) system-packages translations
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmark at BATCHES batches (default 10000; SQLite, or PostgreSQL via LABTRACK_BENCH_DATABASE_URL).
BATCHES ?= 10000
## Audit verification is timed apart, at AUDIT_EVENTS events (issue 18: >= 200,000 events/s at 1.25 million).
AUDIT_EVENTS ?= 1250000
bench: $(STAMP)
	$(BIN)/python -m bench.run --batches $(BATCHES)
	$(BIN)/python -m bench.verify_speed --events $(AUDIT_EVENTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Extract the translatable strings into labtrack/translations/messages.pot and merge them
## into every catalogue (new strings come in untranslated; the catalogue test lists them).
## --ignore-dirs: pybabel skips directories starting with "_" by default, and so would miss
## templates/_partials and templates/_macros.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".* __pycache__" \
		--project LabTrack -o labtrack/translations/messages.pot .
	$(if $(CATALOGUES),$(BIN)/pybabel update -i labtrack/translations/messages.pot \
		-d labtrack/translations,@echo "No catalogue yet: pybabel init -i labtrack/translations/messages.pot -d labtrack/translations -l es")

## Start afresh: the SQLite database and the audit checkpoints that anchor its trail.
clean-db:
	rm -f instance/labtrack.sqlite3
	rm -rf instance/audit_checkpoints
