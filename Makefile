# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The checksum names the marker, so pip reruns when requirements.txt's content changes and only then
# (not when a fresh clone gives the file a new modification time).
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
PORT ?= 8000
# Links in e-mails and SMS point at the address `make run` serves, unless SITE_URL is set.
SITE_URL ?= http://localhost:$(PORT)

# System packages (Debian/Ubuntu names), installed by scripts/system-packages.sh as root or with
# passwordless sudo; otherwise it stops with the command to run. `make run` needs Pango, HarfBuzz
# subset and a font for WeasyPrint's PDFs; `make test` also Chromium (the browser tests; CHROMIUM
# points elsewhere) and poppler-utils (pdftotext, pdftoppm).
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) poppler-utils chromium

.PHONY: run test lint venv system-packages run-packages bench

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed ($(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Everything `make test` needs (CI calls this too).
system-packages:
	@sh scripts/system-packages.sh $(TEST_PACKAGES)

# What the running application needs.
run-packages:
	@sh scripts/system-packages.sh $(RUN_PACKAGES)

run: run-packages $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "Clinic is starting at http://localhost:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" WEB_PORT=$(PORT) SITE_URL='$(SITE_URL)' $(BIN)/honcho start -f Procfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test: system-packages lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Every page, PDF and the message dispatch measured under gunicorn, on the database DATABASE_URL names
# (fill it first with `manage.py generate_clinic`; README.md, "Performance"). BENCH_ARGS passes options.
bench: run-packages $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)
