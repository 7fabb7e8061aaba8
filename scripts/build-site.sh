#!/usr/bin/env bash
# Builds the browser files into SITE_ROOT (default target/site): the WASM and its JS glue,
# the stylesheet and the public files. Names carry a content hash so browsers may cache them
# for a year; brotli and gzip copies sit beside each file for the server to send as they are.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
site=${SITE_ROOT:-$root/target/site}
target_dir=${CARGO_TARGET_DIR:-$root/target}

cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$staging" --out-name portal "$target_dir/wasm32-unknown-unknown/wasm-release/frontend.wasm"

hash=$(cat "$staging/portal.js" "$staging/portal_bg.wasm" style/portal.css | sha256sum | cut -c1-16)
name="portal-$hash"
rm -rf "$site"
mkdir -p "$site/pkg"
cp -r public/. "$site/"
# Leptos requests <name>.js and <name>_bg.wasm when LEPTOS_OUTPUT_NAME is unset at build time.
cp "$staging/portal.js" "$site/pkg/$name.js"
cp "$staging/portal_bg.wasm" "$site/pkg/${name}_bg.wasm"
cp style/portal.css "$site/pkg/$name.css"
echo "$name" > "$site/pkg/build-name.txt"

find "$site" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.ico' \) | while read -r file; do
  brotli --force --best --keep "$file"
  gzip --force --best --keep "$file"
done
echo "build-site: $site/pkg/$name.{js,_bg.wasm,css}"
