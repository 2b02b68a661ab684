# make test   install if needed, run the tests
# make book   install if needed, run the study (PROFILE=cpu, JOBS=2; seeds and seeded rows: the profile's plan,
#             lib.study.plan), build the HTML book; ALL_ROWS=1: every row on every dataset
#             EXECUTOR=submitit: each run a submitit job (Slurm where srun is present), with the profile's resources
# make check-slurm  install Debian's slurm-wlm and munge, start a one-node cluster here, submit the smoke
#             study through it and compare its results with a local run's (not part of make test)
# make check-book  open every page of the built book in a headless browser (BOOK=., PROFILE=cpu): images
#             loaded, nothing wider than the text column, no nan or ± 0.000, the landing page naming the
#             profile, run pages in the rows' order, no request leaving the folder; screenshots in
#             BOOK/_build/screenshots (not in make test)
# make labs   the course's labs (notebooks/labs): each one's student version and autograder in _build/labs
#             (otter-grader); grade a submission with .venv/bin/otter run -a <autograder zip> <notebook>
# make lab-model  train (or find, after make book) the labs' detector at the laptop scale
# make publish  REMOTE=origin BRANCH=gh-pages: push the built book (BOOK=.) to that branch with ghp-import;
#             a smoke-profile book only with ALLOW_SMOKE=1
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.install-stamp
UV_INSTALL  := $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode
PIP_INSTALL := $(PY) -m pip install --quiet
# $(call install_extras,EXTRAS): the project, editable, with those extras: by uv, else by pip
install_extras = $(UV_INSTALL) -e ".[$(1)]" || { echo "uv unavailable or failed: installing with pip"; \
                 $(PIP_INSTALL) -e ".[$(1)]"; }
BROWSER_STAMP := $(VENV)/.browser-stamp
PROFILE ?= cpu
# notebooks executed at once by make book, each with its share of the cores
JOBS    ?= 2
# seeds per seeded row (the paper: 3); empty: the profile's plan (cpu: 3, of the rows the controls compare)
SEEDS   ?=
# rows that run SEEDS seeds (ROW or ROW@DATASET, with the rows they read); all: every row; empty: the plan's
SEED_ROWS ?=
# 1: every row on every dataset (the cpu plan leaves some out to keep the hour: lib.study.plan)
ALL_ROWS ?=
# local: notebooks on this machine, JOBS at once; submitit: a job per run
EXECUTOR ?= local
# make check-book, make publish: the folder holding the built book's _build/html
BOOK    ?= .
# make publish: where the pages go (a remote's name, or any URL or path git pushes to)
REMOTE  ?= origin
BRANCH  ?= gh-pages
ALLOW_SMOKE ?=
# root installs Debian's chromium itself; anyone else through sudo
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install test book labs lab-model check-slurm check-book publish clean

install: $(STAMP)

# The venv is (re)built whenever the pins change: the stamp is older than pyproject.toml.
# uv installs the same pins from the package registry, fetching and unpacking in parallel: a
# fresh clone's install took about 50 s against pip's 94-98 s, part of make book's hour (the
# cpu-profile appendix). uv reads neither pip.conf nor PIP_* settings (UV_INDEX_URL and
# uv.toml are its own); where uv cannot be had or fails, pip installs as before.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	-$(PY) -m pip install --quiet uv
	$(call install_extras,test)
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

book: $(STAMP)
	@start=$$(date +%s); \
	$(PY) -m lib.study --profile $(PROFILE) --jobs $(JOBS) --executor $(EXECUTOR) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(SEED_ROWS),--seed-rows $(filter-out all,$(SEED_ROWS))) $(if $(ALL_ROWS),--all-rows) && \
	$(PY) -m lib.course pages >/dev/null && \
	$(VENV)/bin/jupyter-book build -W --keep-going --toc book/runs/_toc.yml . && \
	echo "make book ($(PROFILE)): $$(( $$(date +%s) - start )) s; the book is _build/html/index.html"

labs: $(STAMP)
	$(PY) -m lib.course labs

lab-model: $(STAMP)
	$(PY) -m lib.course model

check-slurm: $(STAMP)
	PY=$(PY) .ci/check-slurm

# Playwright (the browser extra, so make test never needs it) drives Debian's chromium through
# executable_path: no browser download, which the package registries alone could not serve.
# It drove Debian's chromium 156 headless here; Selenium would need Debian's chromium-driver too.
$(BROWSER_STAMP): $(STAMP)
	$(call install_extras,browser)
	@touch $(BROWSER_STAMP)

check-book: $(BROWSER_STAMP)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	$(PY) -m lib.book_check --book $(BOOK) --profile $(PROFILE) --chromium "$$(command -v chromium)"

publish: $(STAMP)
	$(PY) -m lib.publish --book $(BOOK) --remote $(REMOTE) --branch $(BRANCH) $(if $(ALLOW_SMOKE),--allow-smoke)

clean:
	rm -rf book/_build book/labs
