# Two commands get a newcomer going: `make run` (the product) and `make test` (the checks).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run setup test lint pytest superuser clean

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

superuser: setup
	$(PY) manage.py createsuperuser

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m black --check .

pytest: $(VENV)/.installed .env
	$(PY) -m pytest --cov --cov-report=term-missing $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov
