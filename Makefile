# Every target installs what it needs first, so each works on a fresh clone.
#   make install  pnpm (the version package.json pins) into .tools/pnpm, then the workspace's packages
#   make tools    FerretDB and nats-server into .tools/bin (deploy/local/tools.sh, Go toolchain needed)
#   make build    generated proto code, then tsc -b
#   make start    the whole stack on 127.0.0.1 (deploy/local/start.js); MONGO_URL / NATS_URL use yours instead
#   make test     the jest suite, with its own FerretDB and NATS on free ports
#   make lint     biome and the package reference check
#   make clean    build outputs and test data (keeps .data/local, the local stack's data)
#   make distclean  also node_modules, .tools and .data

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.PHONY: install tools build start test lint clean distclean

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

build: install
	bash libs/proto/generate.sh
	$(PNPM) exec tsc -b

start: build tools
	node deploy/local/start.js

test: build tools
	$(PNPM) exec jest

lint: build
	$(PNPM) lint

clean:
	rm -rf libs/*/dist services/*/dist e2e/dist .data/test-*
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -not -path '*/node_modules/*' -delete

distclean: clean
	rm -rf node_modules libs/*/node_modules services/*/node_modules e2e/node_modules .tools .data
