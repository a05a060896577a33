# The two commands of the README, and the few others it mentions.
#   make serve   install, migrate, seed an empty database, print the URL, /docs and
#                the demo logins (when just loaded), serve with gunicorn
#   make test    install test dependencies, lint (ruff, import-linter), build the
#                docs strictly, run the suite on SQLite and PostgreSQL
#   make docs    serve the docs site (mkdocs) on 127.0.0.1:8001
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: serve test lint docs docs-check install install-dev migrate seed bench clean

# Stamp files: reinstall only when a requirements file, pyproject.toml or setup.py changes.
# The project itself is installed editable (its dependencies come pinned from
# requirements.txt), so janus is importable from anywhere, and the console
# scripts janus-admin, janus-migrate and janus-serve land in .venv/bin.
$(VENV)/.runtime: requirements.txt pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# axe-core for the console's browser test, pinned in tests/browser/package-lock.json.
# Without npm the browser test skips (fails under CI, whose .ci/run installs it).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the console's browser test (axe-core) will be skipped"; fi

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev $(AXE)

# After migrating: the first superadmin from JANUS_FIRST_SUPERADMIN_EMAIL and
# JANUS_FIRST_SUPERADMIN_PASSWORD when none exists (says so and does nothing
# otherwise, or when they are unset; a weak password stops here).
migrate: install
	$(BIN)/janus-migrate
	$(BIN)/janus-admin bootstrap

seed: migrate
	$(BIN)/python -m janus.seeds

serve: migrate
	$(BIN)/python -m janus.seeds.first_run
	exec $(BIN)/gunicorn app:app

# Lint first: ruff (settings in pyproject.toml), then the import contracts of
# [tool.importlinter] in pyproject.toml. Either failing stops before pytest.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

# The docs site (mkdocs.yml, docs/): --strict turns a broken link or anchor, or a
# page missing from the navigation, into a failure. Built into a temporary
# directory, removed after, so the checkout gets no site/.
docs-check: install-dev
	@site=$$(mktemp -d) && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir "$$site"; \
	status=$$?; rm -rf "$$site"; exit $$status

docs: install-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

test: lint docs-check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache janus.egg-info site build dist
