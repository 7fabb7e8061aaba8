#!/usr/bin/env bash
# The whole test suite: formatting, clippy (warnings are errors) on the server and browser
# builds, Rust tests against SQLite and a throwaway PostgreSQL, then browser tests against the
# release binary with a real SMTP server on loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}

step() { printf '\n== %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "clippy (server)"
cargo clippy --locked -p app -p server --features app/ssr --all-targets -- -D warnings
step "clippy (browser)"
cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL for the tests"
source scripts/postgres.sh
start_postgres
trap stop_postgres EXIT

step "Rust tests on SQLite and PostgreSQL"
TEST_DATABASE_URL="$POSTGRES_URL" cargo test --locked --workspace --exclude frontend

step "release build"
scripts/build-site.sh
cargo build --locked -p server --release

step "browser tests"
(cd end2end && PORTAL_BIN="$target_dir/release/portal" SITE_ROOT="${SITE_ROOT:-$root/target/site}" node --test --test-concurrency=1 tests/)
