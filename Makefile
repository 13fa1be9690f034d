# The PRTR Workbook. Two commands are all a fresh Debian machine with Python 3.11 needs:
#   make book   builds the website into _build/html
#   make test   runs the library tests, the notebooks, the dataset checks and the site checks
# Both create .venv and install requirements.txt, the prtr package and MathJax if needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JB_FLAGS := -W -n --keep-going
STAMP := $(VENV)/.installed

.PHONY: book trainer worksheets test lint lab bench clean setup

setup: $(STAMP) node_modules/mathjax/package.json

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# MathJax comes from the npm registry at set-up, like any other dependency, and the site
# serves its own copy: no page asks a CDN for it.
node_modules/mathjax/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

_build/assets/mathjax/tex-chtml.js: node_modules/mathjax/package.json
	rm -rf _build/assets/mathjax
	mkdir -p _build/assets
	cp -r node_modules/mathjax/es5 _build/assets/mathjax

# The synthetic pilot, as the website shows it: its forms are filled, imported into a
# fresh register, and the public national report and the public reports of the
# facilities that claimed nothing become pages (reports/pilot/, git-ignored). Stamp
# files keep a second `make book` from redoing any of it when nothing changed.
PILOT := _build/pilot
PILOT_YEAR := 2025
PILOT_REGISTER := $(PILOT)/register.sqlite
PILOT_PAGES := reports/pilot

$(PILOT)/forms/.done: datasets/pilot/fill_forms.py $(wildcard datasets/pilot/*.csv) \
		$(wildcard datasets/*.csv) src/prtr/form.py src/prtr/formlayout.py | setup
	rm -rf $(PILOT)/forms
	$(BIN)/python datasets/pilot/fill_forms.py $(PILOT)/forms
	touch $@

# prtr import exits 1 when it rejects a file, and the pilot's forms hold deliberate
# mistakes: that is expected. Any other status is a crash and stops the build.
$(PILOT_REGISTER): $(PILOT)/forms/.done src/prtr/register.py src/prtr/validation.py \
		src/prtr/commands/importer.py
	rm -f $@ $@.new
	$(BIN)/prtr import $(PILOT)/forms/*.xlsx --db $@.new \
		--facilities datasets/pilot/facilities.csv > $(PILOT)/import.log; \
	status=$$?; if [ $$status -gt 1 ]; then cat $(PILOT)/import.log; exit $$status; fi
	mv $@.new $@
	@tail -n 1 $(PILOT)/import.log

$(PILOT_PAGES)/.done: $(PILOT_REGISTER) $(wildcard notebooks/reports/*.ipynb) \
		$(wildcard src/prtr/report*.py) src/prtr/commands/report.py
	$(BIN)/prtr report site --year $(PILOT_YEAR) --db $(PILOT_REGISTER) \
		--out $(PILOT_PAGES)
	touch $@

pilot-pages: $(PILOT_PAGES)/.done

# PRTR_STATIC_SITE tells notebooks that they run for the static site: the calculator then
# shows its ready-made table and no widgets that nothing could drive.
book: setup _build/assets/mathjax/tex-chtml.js $(PILOT_PAGES)/.done
	PRTR_STATIC_SITE=1 $(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The website is in _build/html; open _build/html/index.html."

# The trainer's edition: the same sources with the exercise solutions shown.
trainer: setup _build/assets/mathjax/tex-chtml.js
	$(BIN)/python -m prtr.booktools trainer-config _config.yml _build/trainer/_config.yml
	PRTR_STATIC_SITE=1 $(BIN)/jupyter-book build . $(JB_FLAGS) \
		--config _build/trainer/_config.yml \
		--path-output _build/trainer
	@echo "The trainer's edition is in _build/trainer/_build/html."

# Learners' copies of the exercise notebooks, for JupyterLab: the solutions taken out.
worksheets: setup
	$(BIN)/python -m prtr.booktools worksheets _build/worksheets exercises/*.ipynb
	@echo "Learners' worksheets are in _build/worksheets."

test: book
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax \
		--nbval-sanitize-with tests/nbval_sanitize.cfg

lint: setup
	$(BIN)/ruff check .

lab: setup
	$(BIN)/jupyter lab --notebook-dir=. notebooks

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .jupyter_cache $(PILOT_PAGES)
