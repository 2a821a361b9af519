# DronePatrol developer commands. Needs only Python >= 3.11, make and the
# package registries; everything else is installed here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the test suite needs: PostgreSQL for the store tests,
# Chromium for the end-to-end browser tests (driven by Playwright), Mosquitto
# (the MQTT broker) for the city bus tests, Janus for the media-server video
# path (video_server = janus; the default, builtin, needs none of it).
SYSTEM_PACKAGES := postgresql chromium mosquitto janus

.PHONY: demo city-demo test check lint format bench install system-deps clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "DronePatrol needs Python >= 3.11 (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

LEAFLET := web/static/vendor/leaflet/leaflet.js

# Browser libraries come from the npm registry (web/package.json, locked);
# their built files are copied into static/vendor, which git ignores.
$(LEAFLET): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -rf web/static/vendor/leaflet && mkdir -p web/static/vendor
	cp -r web/node_modules/leaflet/dist web/static/vendor/leaflet
	touch $(LEAFLET)

install: $(STAMP) $(LEAFLET)

## demo: the control app with two simulated drones on http://127.0.0.1:8080
## (sign in as admin with DRONEPATROL_ADMIN_PASSWORD, default "demo-admin")
demo: install
	DRONEPATROL_ADMIN_PASSWORD=$${DRONEPATROL_ADMIN_PASSWORD:-demo-admin} \
		$(BIN)/dronepatrol serve --demo 2 --host 127.0.0.1 --port 8080

## city-demo: a Mosquitto broker (TLS), a command centre on http://127.0.0.1:8080 and
## three stations with a simulated drone each, every one its own process
city-demo: install system-deps
	DRONEPATROL_ADMIN_PASSWORD=$${DRONEPATROL_ADMIN_PASSWORD:-demo-admin} \
		$(BIN)/dronepatrol city-demo --stations 3 --port 8080

## system-deps: Debian packages the tests need, installed once through apt
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# pytest exits 5 when a selection holds no test (say, no `serial` test): that is no failure.
# Tests keep Python's compiled modules, and pytest's assert-rewritten test modules, in
# __pycache__ (which git ignores): with PYTHONDONTWRITEBYTECODE set, every test process
# (each parallel worker, each app a test starts) compiled them all again, and collecting
# the suite took 7.6 s of CPU per worker instead of 3.5 s.
PYTEST = env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
NO_TESTS_IS_FINE = status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

# Tests run side by side in this many workers: most of a flight or browser test's time
# is spent waiting for simulated time or a page, not computing, so four fit on two cores.
TEST_WORKERS ?= 4

## test: lint, then every test: TEST_WORKERS at a time, then those marked `serial` alone
test: install system-deps lint
	$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --durations=15 -m "not serial" || { $(NO_TESTS_IS_FINE); }
	$(PYTEST) -m serial || { $(NO_TESTS_IS_FINE); }

# The pure core: planning, rules, models, docstring examples. No device, server or browser.
CORE_TESTS := dronepatrol web sitl tests/planning tests/lockdown tests/test_geo.py \
	tests/test_events.py tests/test_settings.py tests/test_architecture.py \
	tests/freshness/test_ontime.py tests/freshness/test_patrolled.py \
	tests/freshness/test_revisit.py tests/schedule/test_schedule.py \
	tests/dispatch/test_dispatch.py tests/large_events/test_large_event_model.py

## check: the quick loop before a commit (under a minute): lint and the pure core's tests
check: install lint
	$(PYTEST) -q $(CORE_TESTS)

## lint: ruff (lint and format check) and the import contracts
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tests/lint_imports.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every benchmark in bench/, each printing its figures
bench: install
	@set -e; for script in $(wildcard bench/*.py); do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
