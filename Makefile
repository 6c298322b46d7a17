# The two commands a newcomer needs:  make serve   and   make test
# Both create the environment in .venv/ first (nothing else needs installing by hand): the package with its
# build extra (torch, to build the index and its ONNX export) and, for the tests, the dev extra. Serving
# alone needs only `pip install .` and a built index folder (see the Dockerfile's runtime stage).

PY      := .venv/bin/python
STAMP   := .venv/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: serve test lint eval bench load build train browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[build,dev]'
	touch $(STAMP)

build: $(STAMP)
	.venv/bin/qa build

# Retrain the encoder's tuned patch (index/tuning/) from evals/train.jsonl, then the learned ranker fitted to it
# (index/ranker/): seeded, ~13 + ~16 minutes on 2 cores.
train: $(STAMP)
	.venv/bin/qa train-encoder
	.venv/bin/qa train-ranker

serve: $(STAMP)
	.venv/bin/qa serve --host 127.0.0.1 --port 8000

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser:
	@test -x $(CHROMIUM) || { command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: no $(CHROMIUM); the browser tests will be skipped"; }

lint: $(STAMP)
	.venv/bin/ruff check qa tests
	.venv/bin/mypy qa

test: $(STAMP) browser lint
	.venv/bin/pytest -q

eval: $(STAMP)
	.venv/bin/qa eval --split test

bench: $(STAMP)
	.venv/bin/qa bench

load: $(STAMP)
	.venv/bin/python -m qa.loadtest --clients 16 --seconds 60

clean:
	rm -rf .venv index/current index/builds test-output
