# Every target does its own set-up from a fresh clone: a virtual environment with pinned
# packages (constraints.txt locks the transitive ones), and Debian's chromium for the
# browser test when it is missing and we are root. A second run reinstalls nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test bench loadtest chromium clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# The browser test uses Debian's chromium (playwright's own browser download cannot work
# offline). Install it when missing and root; otherwise the test skips and says why.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium for the browser test"; \
		(apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null) \
		|| echo "could not install chromium: the browser test will be skipped"; \
	else echo "chromium missing and not root: the browser test will be skipped"; fi

run: install
	GRADIO_ANALYTICS_ENABLED=False $(VENV)/bin/tryon serve --host $(HOST) --port $(PORT)

test: install chromium
	GRADIO_ANALYTICS_ENABLED=False $(PY) -m pytest -q

bench: install
	$(VENV)/bin/tryon bench

clean:
	rm -rf $(VENV) build *.egg-info

# The served app under load (python -m tryon.loadtest --help): 50 concurrent clients, 200
# sequential calls, clients that vanish; prints latencies, refusals and RSS; about 10 minutes.
loadtest: install
	GRADIO_ANALYTICS_ENABLED=False $(PY) -m tryon.loadtest $(LOADTEST_ARGS)
