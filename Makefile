# Two entry points: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= .zhengai/demo-store
REGION_STORE ?= .zhengai/demo-region
PORT   ?= 8000
DUE    ?= $(shell date -d "+90 days" +%F 2>/dev/null || echo 2099-03-31)
SERVE  ?= yes
# Test processes (pytest-xdist; a test file stays on one, so its fixtures are built once)
TEST_JOBS ?= 2
# Demo tokens, one per role (for trying the API locally only; real tokens go in a TOML file).
DEMO_TOKENS ?= quality_office:demo-qo:S0013;auditor:demo-auditor;reader:demo-reader;unit_head:demo-xx-head:信息工程学院:T1004;teacher:demo-t1005:T1005

.PHONY: install system demo test test-fast lint sample bench bench-region bench-api clean
# What the browser tests and PDF reports need from Debian: its Chromium (driven by Playwright), CJK
# fonts, pdftotext (poppler-utils) to read a PDF back, and Virtuoso (a second SPARQL server for the
# remote-store tests)
SYSTEM_PACKAGES ?= chromium fonts-noto-cjk poppler-utils virtuoso-opensource

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages, installed with apt-get when missing (as root; otherwise say what is missing)
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (apt-get)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } \
	    || echo "could not install$$missing: the browser tests will be skipped"; \
	fi

demo: install system
	rm -rf $(STORE)
	$(BIN)/zhengai --store $(STORE) load data/matrix.csv data/sample/*.xlsx data/sample/预警规则.csv
	$(BIN)/zhengai --store $(STORE) stats
	@echo "— How the sample's 诊断标准 were read (zhengai criteria shows every row) —"
	$(BIN)/zhengai --store $(STORE) criteria --summary
	$(BIN)/zhengai --store $(STORE) criteria --level 课程
	$(BIN)/zhengai --store $(STORE) diagnose --period 2024 --format csv --out $(dir $(STORE))gaps-2024.csv
	@echo "— The 2024 improvement ledger (改进台账): measures and reviews, carried into 2025 —"
	$(BIN)/zhengai --store $(STORE) load data/sample/改进台账.csv
	$(BIN)/zhengai --store $(STORE) diagnose --period 2025
	$(BIN)/zhengai --store $(STORE) spiral --from 2024 --to 2025
	@echo "— Closing the loop: the owner records a measure, the 审核人 reviews it, the history —"
	$(BIN)/zhengai --store $(STORE) measure 2025/ZY-1.4.2-02/510202 --by S0005 --due $(DUE) --text "补齐人才培养方案的审批意见并公示" --evidence http://10.1.1.20/zg/evidence/510202-方案审批.pdf
	$(BIN)/zhengai --store $(STORE) review 2025/ZY-1.4.2-02/510202 --by T1004 --accept --reason "审批意见齐全"
	$(BIN)/zhengai --store $(STORE) history 2025/ZY-1.2.1-02/510202
	$(BIN)/zhengai --store $(STORE) gaps --overdue
	$(BIN)/zhengai --store $(STORE) owners --severity red
	@echo "— A campus system pushes one value between reloads: re-checked on its own, a passing gap turns red —"
	$(BIN)/zhengai --store $(STORE) push data/sample/推送示例.json --system 教务系统
	$(BIN)/zhengai --store $(STORE) events
	@echo "— A warning rule over indicators (专业预警), its parts and its owner —"
	$(BIN)/zhengai --store $(STORE) owner 2025/专业预警-建设/510202
	$(BIN)/zhengai --store $(STORE) audit --format md --out $(dir $(STORE))audit.md
	@echo "— The write log (审计日志): every write above, who, from where, how it ended (zhengai log; GET /log) —"
	$(BIN)/zhengai --store $(STORE) log --limit 6
	@echo "— A region: the sample twice in one store, as college 10999 (diagnosed for 2025) and 20888 (for 2024), compared —"
	rm -rf $(REGION_STORE)
	$(BIN)/zhengai --store $(REGION_STORE) --college 10999 load data/matrix.csv data/sample/*.xlsx > /dev/null
	$(BIN)/zhengai --store $(REGION_STORE) --college 10999 diagnose --period 2025 --format csv --out $(dir $(STORE))region-10999.csv
	$(BIN)/zhengai --store $(REGION_STORE) --college 20888 load data/matrix.csv data/sample/*.xlsx > /dev/null
	$(BIN)/zhengai --store $(REGION_STORE) --college 20888 diagnose --period 2024 --format csv --out $(dir $(STORE))region-20888.csv
	$(BIN)/zhengai --store $(REGION_STORE) region colleges
	$(BIN)/zhengai --store $(REGION_STORE) region compare ZY-1.4.1-02
	$(BIN)/zhengai --store $(REGION_STORE) region owners
	@echo "— The 专业 level's 自我诊改报告 (PDF, printed by Chromium) —"
	$(BIN)/zhengai --store $(STORE) report --level 专业 -f pdf --out $(dir $(STORE))专业-自我诊改报告.pdf
	@echo "Serving the dashboard on http://127.0.0.1:$(PORT)/ (sign in with the token demo-qo, or demo-t1005 for a teacher's view)"
	@echo "and the API on http://127.0.0.1:$(PORT)/docs — Ctrl-C to stop (make demo SERVE=no skips this)"
	@echo "Demo tokens (Authorization: Bearer …): $(DEMO_TOKENS)"
	@echo "  e.g. curl -H 'Authorization: Bearer demo-qo' 'http://127.0.0.1:$(PORT)/gaps?severity=red&limit=5'"
	@if [ "$(SERVE)" != "no" ]; then ZHENGAI_TOKENS='$(DEMO_TOKENS)' $(BIN)/zhengai --store $(STORE) serve --port $(PORT); fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install system
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile

# While working: everything but the slow end-to-end, server and fuzzing tests.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile -m "not slow"

sample: install
	$(BIN)/python scripts/make_sample.py

bench: install
	$(BIN)/python bench/load_sample.py
	$(BIN)/python bench/diagnose.py

# A region of 40 synthetic colleges on Oxigraph server (some 20 M quads; about half an hour)
bench-region: install
	$(BIN)/python bench/region.py

# API throughput with locust on a loaded, diagnosed store: make bench-api BENCH_STORE=path
bench-api: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/api.py --store $(BENCH_STORE)

clean:
	rm -rf $(VENV) .zhengai build *.egg-info bench/out
