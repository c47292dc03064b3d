# Every target installs what it needs first, so each works on a fresh clone.
#   make install  pnpm (the version package.json pins) into .tools/pnpm, then the workspace's packages
#   make tools    FerretDB and nats-server into .tools/bin (deploy/local/tools.sh, Go toolchain needed)
#   make postgres Debian's PostgreSQL 15 binaries, with apt when missing (deploy/local/postgres.sh): FerretDB
#                 stores in a private cluster of its own (initdb under .data/, its own loopback port)
#   make build    generated proto code, then tsc -b, then the console (type-check, vite build → console/dist)
#   make start    the whole stack on 127.0.0.1 (deploy/local/start.js): PostgreSQL on 37432 (data kept in
#                 .data/local/postgres, fsync on), FerretDB on it, NATS, every service; demo data loaded once by
#                 the CLI (`nuanyang demo`); MONGO_URL / NATS_URL use yours instead
#   make test     the jest suite, with its own PostgreSQL (a new cluster each run, fsync off), FerretDB and NATS
#                 on free ports, after make chart-test
#                 (and Debian's Chromium for the console's browser test: deploy/local/chromium.sh)
#   make test-unit  the unit tests alone (pure functions, application classes on the in-memory store): no
#                 Go, no servers, no browser; about a minute. Tests that need servers are *.int.test.ts
#   make chart-test  the Helm chart (helm lint --strict and template with each values file, every object
#                 against the Kubernetes API schemas) and the Dockerfile (BuildKit's checks); no cluster, no Docker
#   make lint     biome and the package reference check
#   make bench    the platform benchmark (below; bench-matching: the matching optimiser's)
#   make clean    build outputs and test data (keeps .data/local, the local stack's data)
#   make distclean  also node_modules, .tools and .data

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.PHONY: install tools postgres browser build start test test-unit chart-test lint clean distclean

PNPM_VERSION := $(shell node -p "require('./package.json').packageManager.split('@')[1]")
PNPM := .tools/pnpm/node_modules/.bin/pnpm

install:
	@if [[ "$$($(PNPM) --version 2>/dev/null)" != "$(PNPM_VERSION)" ]]; then \
	  echo "install: pnpm $(PNPM_VERSION) into .tools/pnpm"; \
	  npm install --prefix .tools/pnpm --no-audit --no-fund --loglevel=error "pnpm@$(PNPM_VERSION)"; \
	fi
	$(PNPM) install --frozen-lockfile

tools:
	bash deploy/local/tools.sh

postgres:
	bash deploy/local/postgres.sh

# Chromium for the console's browser test (apt when missing; never a Playwright browser download).
browser:
	bash deploy/local/chromium.sh

build: install
	bash libs/proto/generate.sh
	$(PNPM) exec tsc -b
	$(PNPM) --filter @nuanyang/console build

start: build tools postgres
	node deploy/local/start.js

test-unit: install
	bash libs/proto/generate.sh
	$(PNPM) exec jest --config jest.unit.config.js

test: build tools postgres browser chart-test
	$(PNPM) exec jest --ignoreProjects chart-test

# helm comes from make tools; the Dockerfile linter (BuildKit's checks) is built here with Go, cached by Go.
chart-test: install tools
	cd deploy/chart-test/dockerfile-lint && CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" go build -o ../../../.tools/bin/dockerfile-lint .
	$(PNPM) exec jest --config deploy/chart-test/jest.config.js

lint: build
	$(PNPM) lint

clean:
	rm -rf libs/*/dist services/*/dist e2e/dist console/dist cli/dist .data/test-*
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -not -path '*/node_modules/*' -delete

distclean: clean
	rm -rf node_modules libs/*/node_modules services/*/node_modules e2e/node_modules console/node_modules cli/node_modules .tools .data

# The matching benchmark (bench/, not part of `make test`): the batch optimiser and the greedy matcher against
# the exact LP optimum (HiGHS) on seeded instances up to 10,000 needs × 2,000 lots. Prints the table (the
# README shows the latest) and writes bench/results/matching.json. About a minute; ARGS=--full-lp also
# solves the largest size as one LP, a cross-check of the per-group optimum (two to four minutes in all).
.PHONY: bench-matching
bench-matching: build
	node bench/dist/matching.js $(ARGS)
	$(PNPM) exec biome format --write bench/results/matching.json

# The platform benchmark (bench/platform.ts, not part of `make test`): the six services started as the tests
# start them, on the suite's FerretDB and NATS, against a bare grpc-js echo and JetStream publishes of the same
# run: CreateHelpRequest and verification outcome throughput, intake → task and verified → proposal latency at
# half of peak, p50s as history grows (small sizes by default; ARGS=--full for 1,000 vs 100,000), and a surge.
# Prints the table with each target met or missed, writes bench/results/platform.json; under ~8 minutes.
.PHONY: bench
bench: build tools
	node bench/dist/platform.js $(ARGS)
	$(PNPM) exec biome format --write bench/results/platform.json
