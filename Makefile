# Everything a fresh machine needs: Python 3.11, pip and make. No other downloads at run time.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint bench train-ranker label-answers bench-value bench-scale bench-survey bench-soak bench-soak-prod index lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Run the bot: polls Telegram when TELEGRAM_BOT_TOKEN is set, else opens a terminal chat.
run: $(STAMP)
	$(VENV)/bin/cvm run

## The whole test suite, end-to-end tests included, then lint and type checks.
test: $(STAMP)
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory lint

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not e2e"

lint: $(STAMP)
	$(VENV)/bin/ruff check bot knowledge value_engine tests bench
	$(VENV)/bin/mypy bot knowledge value_engine

bench: $(STAMP)
	$(PY) bench/answers.py
	$(PY) bench/retrieval.py

## The labelled answer data's sentence ids and split by article section (bench/data/answers).
label-answers: $(STAMP)
	$(PY) bench/label_answers.py

## Regenerate the answer ranker and coverage gate (knowledge/data/ranker.json) from the
## labelled data's train and validation parts; `--check` confirms the shipped file.
train-ranker: $(STAMP)
	$(PY) bench/train_ranker.py

bench-value: $(STAMP)
	$(PY) bench/value_engine.py

## The engine on 100,000,000 Parquet rows with DuckDB, Spark local and lifetimes (issue 13).
bench-scale: $(STAMP)
	$(PY) bench/value_scale.py

## Survey imports and analyses at 100,000 respondents (issue 12's targets).
bench-survey: $(STAMP)
	$(PY) bench/survey.py

## Ten minutes of mixed traffic from 200 simulated users (issue 5's soak targets).
bench-soak: $(STAMP)
	$(PY) bench/soak.py

## The same in the production topology: two webhook processes, PostgreSQL and Redis from
## deploy/local/services.sh, Redis restarted at minute 3 and PostgreSQL at minute 6.
bench-soak-prod: $(STAMP)
	$(PY) bench/soak_prod.py

## Re-pin after editing pyproject.toml: the development lock (with the spark extra, which the
## tests exercise), then the image's runtime lock constrained to the same versions.
lock: $(STAMP)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 --universal \
		--generate-hashes -o requirements.lock -q
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --universal \
		--generate-hashes -c requirements.lock -o deploy/requirements.lock -q

index: $(STAMP)
	$(VENV)/bin/cvm index

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
