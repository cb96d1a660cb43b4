# Two commands get a newcomer going: `make run` (the product) and `make test` (the checks).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
PORT ?= 8000

.PHONY: run setup prod-local test lint pytest superuser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

.env:
	$(PYTHON) -m core.envfile .env

setup: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_data

# The admin and the bot side by side; Ctrl+C stops both (the bot finishes replies in flight).
# Without TELEGRAM_BOT_TOKEN the bot explains what to set and the admin keeps running.
run: setup
	@echo "Admin: http://$(HOST)/admin/  (create a login with: make superuser)"
	@$(PY) manage.py runbot & bot=$$!; \
	trap 'kill $$bot 2>/dev/null; wait $$bot' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

# The production processes of the Procfile (web on uvicorn, bot, worker) without Docker, on
# PostgreSQL: DATABASE_URL=postgres://user:password@127.0.0.1:5432/name make prod-local
# honcho gets no env file: each process reads .env itself, and the environment wins over it.
prod-local: $(VENV)/.installed .env
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; *) \
		echo "make prod-local runs on PostgreSQL: set DATABASE_URL, e.g." \
			"DATABASE_URL=postgres://user:password@127.0.0.1:5432/name make prod-local" >&2; \
		exit 2;; esac
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_data
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/  Ready: http://127.0.0.1:$(PORT)/readyz"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --env /dev/null --port $(PORT)

superuser: setup
	$(PY) manage.py createsuperuser

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m black --check .

# Debian's Chromium for the web chat's browser test (Playwright drives it; no browser download).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser test (apt-get; needs root)"
	apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }

pytest: $(VENV)/.installed .env $(CHROMIUM)
	$(PY) -m pytest --cov --cov-report=term-missing $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov
