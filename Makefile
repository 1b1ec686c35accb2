# Everything the kit needs, from a fresh clone, in two commands (see README.md):
#   make run    set up, build the release, grade the bundled sample class
#   make test   set up, run the kit's tests (CI runs this through .ci/run)
VENV   := .venv
PYTHON := $(VENV)/bin/python
PIP    := $(PYTHON) -m pip --quiet --disable-pip-version-check
# nbgrader runs tools such as `alembic` by name: the venv's bin/ comes first
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup system run test build check bench clean

setup: $(VENV)/.installed system

# bubblewrap and libseccomp isolate student code while grading, and Debian's chromium runs the browser tests
# (Debian packages); installed here when we may
system:
	@{ command -v bwrap >/dev/null 2>&1 && ls /usr/lib/*/libseccomp.so.2 /lib/*/libseccomp.so.2 2>/dev/null | grep -q .; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2 >/dev/null; } || \
	  echo "note: without bubblewrap and libseccomp2, grading refuses to run student code (see README, 'The sandbox')"
	@[ -x /usr/bin/chromium ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "note: without /usr/bin/chromium the browser tests (tests/browser/) are skipped"

$(VENV)/.installed: requirements.txt pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps --editable .
	touch $@

build: setup  ## regenerate exercises/, answer cells, fixtures and release/ from solutions/
	$(PYTHON) -m autograder build

check: setup  ## fail if any generated file is stale
	$(PYTHON) -m autograder build --check

run: build  ## the kit's main job
	$(PYTHON) -m autograder grade samples/submitted --jobs 2 --summary --out out

test: setup
	$(PYTHON) -m pytest

bench: setup
	for script in benchmarks/*.py; do $(PYTHON) $$script || exit 1; done

clean:
	rm -rf $(VENV) out gradebook.db *.egg-info
