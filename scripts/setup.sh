#!/usr/bin/env bash
# Installs what the build and the tests need and skips what is already there.
#   scripts/setup.sh build   Rust WASM target and the pinned wasm-bindgen CLI
#   scripts/setup.sh test    the above, plus Chromium, PostgreSQL, an SMTP server,
#                            playwright-core and the load-test tools
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
mode=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]} with apt-get"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  # Without --locked: the CLI's lock file names a version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

apt_install brotli

if [ "$mode" = test ]; then
  apt_install chromium postgresql python3-aiosmtpd wrk
  if [ ! -d "$root/end2end/node_modules/playwright-core" ]; then
    (cd "$root/end2end" && npm ci --no-audit --no-fund)
  fi
fi
