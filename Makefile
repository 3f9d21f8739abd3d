# Two commands do everything on a fresh machine: `make book` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
BUILD  := _build
# The course's models are tiny: one torch thread is faster than two fighting over a 2-core machine.
export OMP_NUM_THREADS ?= 1
# Every number a chapter's prose quotes is compared with the code's value (lstm_course.prose) in the build and tests.
export LSTM_COURSE_CHECK_PROSE := 1

.PHONY: book test lint unit notebooks colab site vendor lab lab-test clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Build the book into _build/html from a clean _build (every notebook re-executed, warnings are errors).
book: $(STAMP)
	rm -rf $(BUILD)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

## Lint, run the library tests, run every notebook as on Colab, build the book, test the built site and JupyterLab.
## (`colab` replaces `notebooks` here: both run every notebook top to bottom, and the book build runs the chapters
## with their prose checks.)
test: $(STAMP) lint unit colab book site lab-test

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## The library tests in two processes (pytest-xdist): about 3 minutes instead of 5 on the 2-core machine.
unit: $(STAMP)
	$(PY) -m pytest tests -q -n 2 --ignore=tests/site --ignore=tests/lab --ignore=tests/colab

notebooks: $(STAMP)
	$(PY) -m pytest --nbval-lax -q -p no:cacheprovider book solutions exercises

## Every chapter, exercise and solution run top to bottom by `pytest --nbval-lax` in .venv-colab (cached): only
## `pip install .`, ipykernel and nbclient, with pytest and nbval as runners, no book packages, each kernel in an empty
## folder, as on Colab. Then the training chapters (tests/colab/colabenv.py TRAINING_CHAPTERS: one line per chapter)
## with their prose checks, and the stored-sweep tests, once more under each other CPU's float path (FLOAT_PATHS:
## MKL_CBWR=COMPATIBLE; MKL_CBWR=AVX2 ATEN_CPU_CAPABILITY=avx2); two runs at a time (tests/colab; times in
## test-artifacts/colab/timings.json).
colab: $(STAMP)
	$(PY) -m pytest tests/colab -q -rs -p no:cacheprovider

## Test the built site in Chromium (tests/site; builds the book first if _build/html is missing or stale).
site: $(STAMP)
	$(PY) -m pytest tests/site -q -rs -p no:cacheprovider

## Refresh _vendor/ (MathJax, require.js, the widget manager) from package-lock.json via npm.
vendor:
	python3 tools/vendor_assets.py

## Chapters 01 and 04 and an exercise in a real JupyterLab, driven in Chromium (tests/lab; works on copies).
lab-test: $(STAMP)
	$(PY) -m pytest tests/lab -q -rs -p no:cacheprovider

## Open the chapters (book/) and the exercises (exercises/) in JupyterLab, as a learner: no prose checks.
lab: $(STAMP)
	env -u LSTM_COURSE_CHECK_PROSE $(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/book

clean:
	rm -rf $(BUILD)
