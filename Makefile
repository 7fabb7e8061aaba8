# The two set-up commands of the README: `make run` and `make test`. Each installs what it
# needs first (scripts/setup.sh skips what is already there).
SHELL := /bin/bash
BIN := $(or $(CARGO_TARGET_DIR),target)/release/portal

.PHONY: run build test bench
run: build
	$(BIN) serve

build:
	scripts/setup.sh build
	scripts/build-site.sh
	cargo build -p server --release --locked

test:
	scripts/setup.sh test
	scripts/test.sh

bench: build
	scripts/setup.sh test
	scripts/bench.sh
