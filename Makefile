# tickerpulse — every target installs what it needs first (make setup).
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo audit test test-slow test-spark test-kafka cloud-tools test-cloud kafka kafka-stop spark-kafka-jars test-browser browser screenshots wheel lint format bench clean universe eval train-sentiment

setup: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The default install (what the demo and the web site need) and the dev group. Each test
# step then syncs the extras it needs (uv sync keeps the dev group and drops other extras).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

SYNC := $(UV) sync --frozen --python $(PYTHON)
# the default and slow suites: minilm-v1, the S3 lake on moto, the IBKR source's client.
# Every test step installs them: pytest imports every test module, whatever -m selects.
TEST_EXTRAS := --extra accurate --extra cloud --extra ibkr

demo: setup
	$(BIN)/tickerpulse demo

test: setup
	$(SYNC) $(TEST_EXTRAS)
	$(BIN)/pytest

test-slow: setup
	$(SYNC) $(TEST_EXTRAS)
	$(BIN)/pytest -m slow

wheel: setup
	$(UV) build --wheel

# the Spark job reading Kafka is marked both: it runs with the Kafka tests (and Spark on
# gs:// with the cloud tests)
test-spark: setup
	$(SYNC) $(TEST_EXTRAS) --extra spark
	$(BIN)/pytest -m "spark and not kafka and not cloud"

# A single-node KRaft broker from Maven Central jars (deploy/kafka): 127.0.0.1:9092 unless
# KAFKA_PORT says otherwise. The Kafka tests start a throwaway broker of their own.
kafka:
	deploy/kafka/kafka.sh start

kafka-stop:
	deploy/kafka/kafka.sh stop

# Spark's Kafka source and the jars it needs beyond PySpark's (deploy/spark/pom.xml)
spark-kafka-jars: .spark-jars/.fetched

.spark-jars/.fetched: deploy/spark/pom.xml
	rm -rf .spark-jars
	mvn -q -B -Dstyle.color=never -f deploy/spark/pom.xml dependency:copy-dependencies
	touch $@

test-kafka: setup spark-kafka-jars
	$(SYNC) $(TEST_EXTRAS) --extra kafka --extra spark
	deploy/kafka/kafka.sh fetch
	$(BIN)/pytest -m kafka

# Google Cloud Storage and Stripe emulators (Go programs from the Go module proxy), built
# into .tools/go with the module and build caches kept there too; reused once built.
FAKE_GCS_VERSION := v1.56.1
STRIPE_MOCK_VERSION := v0.203.0
GO_TOOLS := $(CURDIR)/$(TOOLS)/go
GO_ENV := GOBIN=$(GO_TOOLS)/bin GOPATH=$(GO_TOOLS)/path GOMODCACHE=$(GO_TOOLS)/path/pkg/mod \
	GOCACHE=$(GO_TOOLS)/cache GOFLAGS=-modcacherw GOTOOLCHAIN=local

cloud-tools: $(GO_TOOLS)/bin/.fake-gcs-server-$(FAKE_GCS_VERSION) $(GO_TOOLS)/bin/.stripe-mock-$(STRIPE_MOCK_VERSION)

$(GO_TOOLS)/bin/.fake-gcs-server-$(FAKE_GCS_VERSION):
	@command -v go >/dev/null || { echo "cloud-tools needs Go (https://go.dev/dl/)"; exit 1; }
	$(GO_ENV) go install github.com/fsouza/fake-gcs-server@$(FAKE_GCS_VERSION)
	touch $@

$(GO_TOOLS)/bin/.stripe-mock-$(STRIPE_MOCK_VERSION):
	@command -v go >/dev/null || { echo "cloud-tools needs Go (https://go.dev/dl/)"; exit 1; }
	$(GO_ENV) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)
	touch $@

# the lake on gs:// against fake-gcs-server, Stripe mode against stripe-mock
test-cloud: setup cloud-tools
	$(SYNC) $(TEST_EXTRAS) --extra spark
	$(BIN)/pytest -m cloud

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || { $$(command -v sudo) apt-get update -q && $$(command -v sudo) apt-get install -y -q chromium; }

test-browser: setup browser
	$(SYNC) $(TEST_EXTRAS)
	$(BIN)/pytest -m browser

# Every main page for every reader, light and dark (prefers-color-scheme), desktop and phone
# (docs/screenshots-raw, git-ignored); the README's (1000 px wide, Premium, a few also dark)
# are copied to docs/screenshots and shrunk with pngquant.
screenshots: setup browser
	rm -rf docs/screenshots-raw
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots-raw $(BIN)/pytest -m browser tests/e2e/test_browser_tiers.py tests/e2e/test_browser_insights.py
	mkdir -p docs/screenshots
	cp docs/screenshots-raw/readme/*.png docs/screenshots/
	@if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --strip --quality 70-95 --ext .png docs/screenshots/*.png; \
	else echo "pngquant not found (apt-get install pngquant): docs/screenshots left unoptimised"; fi

# Known vulnerabilities in every locked dependency: pip-audit (pinned) over `uv export`.
# Its advisories come from PyPI's JSON API (or OSV with PIP_AUDIT_ARGS="-s osv"). Where that
# does not answer (sandboxed machines), pip-audit skips every package yet says "No known
# vulnerabilities found"; this target counts the skips and fails saying so instead.
PIP_AUDIT := pip-audit==2.10.1
audit: $(UV)
	@req=$$(mktemp); out=$$(mktemp); \
	$(UV) export --frozen --quiet --format requirements-txt --no-emit-project --all-groups > $$req; \
	$(UV) tool run $(PIP_AUDIT) --disable-pip -r $$req $(PIP_AUDIT_ARGS) > $$out 2>&1; rc=$$?; \
	skipped=$$(grep -c "could not be audited" $$out); \
	if [ $$rc -ne 0 ] && ! grep -q "known vulnerabilit" $$out; then \
		tail -3 $$out; echo "make audit: pip-audit could not run or reach its advisory database from this network; run it where it can."; rm -f $$req $$out; exit 2; \
	elif [ $$skipped -gt 0 ]; then \
		echo "make audit: $$skipped locked packages could not be checked (is the advisory database reachable from this network?); the audit is incomplete: run it where it is."; rm -f $$req $$out; exit 2; \
	fi; \
	cat $$out; rm -f $$req $$out; exit $$rc

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Spark local (scaling), a Kafka broker (streaming), every sentiment model (sentiment)
BENCH_EXTRAS := --extra spark --extra kafka --extra accurate

bench: setup
	$(SYNC) $(BENCH_EXTRAS)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

universe: setup
	$(BIN)/python -m tickerpulse.universe.build

# Tagging on the gold set; sentiment on held-out labelled data (SENTIMENT_DATA).
eval: setup
	$(SYNC) --extra accurate
	$(BIN)/python -m bench.run --only tagging
	$(BIN)/python -m bench.run --only sentiment

# Fine-tunes minilm-ft-v2 (about 20 minutes on 2 quiet cores) and writes its artifacts into
# the package, then fits routed-v1's threshold on dev. Adds torch (the optional `train` group, several GB with its CUDA libraries) to
# .venv: make setup never installs it, and serving never imports it.
train-sentiment: setup
	$(SYNC) --extra accurate --group train
	nice -n 10 $(BIN)/python -m tickerpulse.training.minilm_finetune
	$(BIN)/python -m tickerpulse.training.route_threshold
