# realpolitik: two commands do everything on a fresh machine.
#   make demo   - create .venv, install from the lock file, forecast the default scenario
#   make test   - create .venv, install with test extras from the lock file, run the whole suite
#   make lock   - refresh the lock files (newest versions within pyproject.toml's ranges)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# exact versions with hashes: what CI passed is what a clone installs (requirements/README.md)
LOCK_RUN  := requirements/run.lock
LOCK_TEST := requirements/test.lock
LOCK_ARGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: demo test install install-test system-deps bench lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# the lock holds pip, setuptools and wheel too; the package itself is installed without
# build isolation, so nothing unlocked is downloaded
$(VENV)/.installed: pyproject.toml $(LOCK_RUN) | $(PY)
	$(PIP) install --quiet --require-hashes -r $(LOCK_RUN)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK_TEST) | $(PY)
	$(PIP) install --quiet --require-hashes -r $(LOCK_TEST)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(VENV)/bin/realpolitik forecast

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed-test system-deps
	$(PY) -m pytest -n 2 -q

bench: $(VENV)/.installed
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# Refresh both lock files from pyproject.toml (+ requirements/build.in) with pip-tools in a
# throwaway venv; the run lock is constrained by the test lock, so both pin the same versions.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "pip-tools>=7.4"
	.lock-venv/bin/pip-compile $(LOCK_ARGS) --upgrade --extra test -o $(LOCK_TEST) pyproject.toml requirements/build.in
	.lock-venv/bin/pip-compile $(LOCK_ARGS) --upgrade -c $(LOCK_TEST) -o $(LOCK_RUN) pyproject.toml requirements/build.in
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv build dist src/*.egg-info .pytest_cache
