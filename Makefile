# ghes-agent — every command a developer, CI and the demo need. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TS := node --import tsx

.PHONY: help deps build typecheck tools test test-unit test-chaos chart-test bench demo stack-up stack-down clean

help: ## List the targets, one line each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

# npm ci only when the lock file changed since the last install (a second run reuses node_modules).
node_modules/.deps-stamp: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.deps-stamp ## Install the project's npm dependencies (npm ci, cached)

build: deps ## Compile TypeScript (strict) into dist/
	npx tsc -p tsconfig.json

typecheck: deps ## Type-check without emitting
	npx tsc -p tsconfig.json --noEmit

test: deps tools ## Run every test: unit, simulators, Kafka ACLs, agent integration, chart, monitoring, release config (starts and stops a real Kafka)
	$(NODE_TS) test/run-tests.ts

test-unit: deps ## Only the fast unit tests (no broker)
	node --import tsx --test test/unit/*.test.ts

chart-test: deps tools ## helm lint/template, schema refusals, offline Kubernetes validation, promtool rule tests, values examples
	node --import tsx --test test/chart/*.test.ts

tools: ## Install the test tools into .cache/ when missing: helm, Kubernetes schemas, Prometheus + promtool, actionlint, Renovate's schema
	bash test/tools/install.sh

test-chaos: deps ## Chaos scenarios (kill -9, rebalance, broker restart, GHES and Port outages, rolling update, garbage): nothing lost, nothing twice
	$(NODE_TS) test/run-tests.ts test/chaos

bench: deps ## Benchmark on the real broker and the GHES simulator: throughput, latency, tracking cost vs naive, memory (prints a table and a JSON line)
	$(NODE_TS) test/bench/bench.ts

demo: deps ## Run the agent end to end on the local stack with sample runs, print a table, stop everything
	$(NODE_TS) test/demo/demo.ts

stack-up: deps ## Start Kafka and both simulators in the background and print how to reach them
	$(NODE_TS) test/stack/stack-cli.ts up

stack-down: ## Stop what stack-up started
	$(NODE_TS) test/stack/stack-cli.ts down

clean: ## Remove build output (keeps the download caches in .cache/)
	rm -rf dist

include docker/Makefile.inc
