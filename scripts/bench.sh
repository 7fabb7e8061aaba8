#!/usr/bin/env bash
# Measures the release build, which `make bench` builds first. It prints figures and checks no
# timings:
#   1. sizes of the browser files in SITE_ROOT/pkg (WASM and JS glue: raw, gzip, brotli);
#   2. with wrk against the release binary on 127.0.0.1 (fresh SQLite DATA_DIR, rate limits
#      off): the signed-in shell page GET / and a static file, one after the other;
#   3. the shell page's latency alone and while 50 connections POST /api/sign_in at once.
# Durations and connection counts can be changed with the BENCH_* variables below.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}
site=$(cd "${SITE_ROOT:-$root/target/site}" && pwd)
bin=$target_dir/release/portal

duration=${BENCH_DURATION:-10}          # seconds per measured wrk run
connections=${BENCH_CONNECTIONS:-16}    # shell page vs static file
quiet_connections=${BENCH_SHELL_CONNECTIONS:-4} # shell page during the sign-in burst
sign_in_connections=${BENCH_SIGN_IN_CONNECTIONS:-50}
accounts=${BENCH_ACCOUNTS:-50}          # confirmed accounts the sign-in load cycles through
static_path=/favicon.ico
password='bench password 12345'

for tool in wrk curl python3 gzip; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/setup.sh test" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench: $bin is missing; run make build first" >&2; exit 1; }

section() { printf '\n== %s\n' "$*"; }

section "machine"
echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- app server frontend migrations style public Cargo.lock 2>/dev/null || echo ' (with uncommitted changes)')"
echo "cpus:    $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "os:      $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min averages before the run)"
echo "wrk:     $(wrk -v 2>&1 | head -1)"

# ---------------------------------------------------------------------------------------------
section "browser build sizes ($site/pkg)"
size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo -; fi; }
kib() { if [ "$1" = - ]; then echo -; else awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; fi; }
printf '%-36s %12s %12s %12s %10s %10s %10s\n' file raw gzip brotli "raw KiB" "gz KiB" "br KiB"
for file in "$site"/pkg/*_bg.wasm "$site"/pkg/*.js; do
  [ -f "$file" ] || continue
  raw=$(size_of "$file"); gz=$(size_of "$file.gz"); br=$(size_of "$file.br")
  printf '%-36s %12s %12s %12s %10s %10s %10s\n' "$(basename "$file")" "$raw" "$gz" "$br" "$(kib "$raw")" "$(kib "$gz")" "$(kib "$br")"
done
echo "(bytes; the .gz and .br files are the ones build-site.sh wrote and the server sends)"

# ---------------------------------------------------------------------------------------------
section "server"
work=$(mktemp -d /tmp/portal-bench.XXXXXX)
server_pid=""
background_pids=()
cleanup() {
  for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# Started from the scratch folder so that no .env file of the checkout is read. The database
# is SQLite and email goes to the outbox, whatever the environment sets.
(cd "$work" && exec env -u DATABASE_URL -u SMTP_URL LISTEN_ADDR=127.0.0.1:$port PUBLIC_URL="$base" \
  DATA_DIR="$work/data" SITE_ROOT="$site" RATE_LIMITS=off LOG_FORMAT=text "$bin" serve) >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server exited during start-up; its log:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
if ! curl -sf "$base/healthz" >/dev/null; then
  echo "bench: GET /healthz still failed after 10 s; the server log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "portal (pid $server_pid) on $base, DATA_DIR $work/data, SQLite, RATE_LIMITS=off, default RUST_LOG (one info line per request)"

rss() { awk '/VmRSS|VmHWM/ { printf "%s %.0f MiB  ", $1, $2 / 1024 }' "/proc/$server_pid/status"; }
post() { # post PATH FIELD=VALUE... ; prints the status code, keeps body and headers in $work
  local path=$1; shift
  local args=()
  for field in "$@"; do args+=(--data-urlencode "$field"); done
  curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' -X POST -H "Origin: $base" \
    -H 'Accept: application/json' "${args[@]}" "$base$path"
}
email_of() { printf 'bench%02d@example.com' "$1"; }

section "accounts"
for i in $(seq 1 "$accounts"); do
  status=$(post /api/sign_up "company=Bench Company $i" country=KE "name=Bench User $i" \
    "email=$(email_of "$i")" "password=$password" "password_confirm=$password")
  [ "$status" = 200 ] || { echo "bench: sign_up $i returned status $status: $(cat "$work/body")" >&2; exit 1; }
done
confirmed=0
for eml in "$work"/data/outbox/*.eml; do
  # Undo quoted-printable soft line breaks and =3D before looking for the link.
  token=$(tr -d '\r' <"$eml" | sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' | sed 's/=3D/=/g' \
    | grep -o 'confirm-email?token=[0-9a-f]*' | head -1 | cut -d= -f2)
  [ -n "$token" ] || { echo "bench: no confirmation link in $eml" >&2; exit 1; }
  status=$(post /api/confirm_email "token=$token")
  [ "$status" = 200 ] || { echo "bench: confirm_email returned status $status: $(cat "$work/body")" >&2; exit 1; }
  confirmed=$((confirmed + 1))
done
[ "$confirmed" = "$accounts" ] || { echo "bench: $confirmed confirmation emails for $accounts sign-ups" >&2; exit 1; }
status=$(post /api/sign_in "email=$(email_of 1)" "password=$password")
cookie=$(grep -io '^set-cookie: portal_session=[0-9a-f]*' "$work/headers" | cut -d= -f2 || true)
[ "$status" = 200 ] && [ -n "$cookie" ] || { echo "bench: sign_in returned status $status and no session cookie" >&2; exit 1; }
shell_status=$(curl -s -o "$work/shell.html" -w '%{http_code}' -H "Cookie: portal_session=$cookie" "$base/")
grep -q 'data-testid="account-name"' "$work/shell.html" \
  || { echo "bench: GET / with the session cookie returned status $shell_status without the signed-in shell" >&2; exit 1; }
static_status=$(curl -s -o "$work/static" -w '%{http_code}' "$base$static_path")
[ "$static_status" = 200 ] || { echo "bench: GET $static_path returned status $static_status, expected 200" >&2; exit 1; }
echo "$accounts accounts signed up and confirmed; the sign-in load cycles through all of them"
echo "server memory after the sign-ups: $(rss)"
echo "shell page GET /: $shell_status, $(stat -c %s "$work/shell.html") bytes; static file GET $static_path: $static_status, $(stat -c %s "$work/static") bytes"

# ---------------------------------------------------------------------------------------------
# wrk scripts. Each counts the status codes it received. With BENCH_EXPECT_SHELL=1 it also counts
# 200 pages without the signed-in header, which would mean the session stopped working.
cat >"$work/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
statuses = {}
not_signed_in = 0
expect_shell = os.getenv("BENCH_EXPECT_SHELL") == "1"
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if expect_shell and status == 200 and not string.find(body, 'data-testid="account-name"', 1, true) then
    not_signed_in = not_signed_in + 1
  end
end
function done(summary, latency, requests)
  local total, missing = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
    missing = missing + thread:get("not_signed_in")
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, status .. ": " .. count) end
  table.sort(parts)
  io.write("  statuses: " .. table.concat(parts, ", ") .. "\n")
  if expect_shell then io.write("  200 pages without the signed-in header: " .. missing .. "\n") end
end
LUA
cat >"$work/sign_in.lua" <<'LUA'
-- POST /api/sign_in with correct credentials, cycling through the benchmark accounts.
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS"))
local password = os.getenv("BENCH_PASSWORD"):gsub(" ", "+")
bodies = {}
next_account = 0
function init(args)
  for i = 1, accounts do
    bodies[i] = string.format("email=bench%02d%%40example.com&password=%s", i, password)
  end
end
function request()
  next_account = next_account % accounts + 1
  return wrk.format("POST", "/api/sign_in", nil, bodies[next_account])
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
statuses = {}
cookies = 0
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if headers["set-cookie"] or headers["Set-Cookie"] then cookies = cookies + 1 end
end
function done(summary, latency, requests)
  local total, with_cookie = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
    with_cookie = with_cookie + thread:get("cookies")
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, status .. ": " .. count) end
  table.sort(parts)
  io.write("  statuses: " .. table.concat(parts, ", ") .. "\n")
  io.write("  responses with a session cookie: " .. with_cookie .. "\n")
end
LUA
export BENCH_ACCOUNTS=$accounts BENCH_PASSWORD=$password

shell_wrk() { # shell_wrk CONNECTIONS SECONDS
  BENCH_EXPECT_SHELL=1 wrk --latency -t1 -c"$1" -d"$2s" --timeout 10s -s "$work/count.lua" \
    -H "Cookie: portal_session=$cookie" -H 'Accept: text/html' "$base/"
}
static_wrk() { # static_wrk CONNECTIONS SECONDS
  BENCH_EXPECT_SHELL=0 wrk --latency -t1 -c"$1" -d"$2s" --timeout 10s -s "$work/count.lua" "$base$static_path"
}
sign_in_wrk() { # sign_in_wrk CONNECTIONS SECONDS
  wrk --latency -t1 -c"$1" -d"$2s" --timeout 30s -s "$work/sign_in.lua" -H "Origin: $base" \
    -H 'Accept: application/json' -H 'Content-Type: application/x-www-form-urlencoded' "$base/api/sign_in"
}

# Prints requests/s, p50 and p99 (in ms), the request count and the error counts of a wrk report.
summarize() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(",", ""); sockerr = $4 + $6 + $8 + $10 }
    END { printf "%s %.3f %.3f %d %d %d\n", rps, p50, p99, total, bad + 0, sockerr + 0 }
  ' "$1"
}
declare -A result
run() { # run NAME COMMAND... ; prints the wrk report and keeps its summary
  local name=$1; shift
  "$@" | tee "$work/$name.txt"
  result[$name]=$(summarize "$work/$name.txt")
}

# CPU accounting: how much of the machine the server, wrk and other processes took during a run.
clock_ticks=$(getconf CLK_TCK)
# Sets the array mark: busy, interrupt and steal ticks of all CPUs, server ticks, ticks of this
# script's finished children (wrk), time in ns. `times` runs in this shell, as a subshell's is zero.
cpu_mark() {
  local label user nice system idle iowait irq softirq steal rest
  read -r label user nice system idle iowait irq softirq steal rest </proc/stat
  times >"$work/times"
  local children
  children=$(awk -v hz="$clock_ticks" 'NR == 2 {
      for (i = 1; i <= 2; i++) { split($i, part, "m"); total += part[1] * 60 + part[2] }
      printf "%d", total * hz }' "$work/times")
  mark=($((user + nice + system)) $((irq + softirq)) "$steal"
    "$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")" "$children" "$(date +%s%N)")
}
cpu_report() { # cpu_report START_MARK... ; prints where the CPU time went since START_MARK
  cpu_mark
  awk -v hz="$clock_ticks" -v cpus="$(nproc)" -v start="$*" -v end="${mark[*]}" 'BEGIN {
    split(start, a, " "); split(end, b, " ")
    capacity = (b[6] - a[6]) / 1e9 * hz * cpus / 100
    server = b[4] - a[4]; own = b[5] - a[5]; others = b[1] - a[1] - server - own
    if (others < 0) others = 0
    printf "  CPU over %.1f s, in %% of %d CPUs: server %.0f, wrk and this script %.0f, other processes %.0f, interrupts %.0f, steal %.0f\n",
      (b[6] - a[6]) / 1e9, cpus, server / capacity, own / capacity, others / capacity, (b[2] - a[2]) / capacity, (b[3] - a[3]) / capacity
  }'
}

section "warm-up (2 s each, not counted)"
shell_wrk "$connections" 2 >/dev/null
static_wrk "$connections" 2 >/dev/null
echo "done; server memory: $(rss)"

section "(a) signed-in shell page GET /: 1 thread, $connections connections, ${duration} s"
cpu_mark; start=("${mark[@]}")
run shell shell_wrk "$connections" "$duration"
cpu_report "${start[@]}"
section "(b) static file GET $static_path: 1 thread, $connections connections, ${duration} s"
cpu_mark; start=("${mark[@]}")
run static static_wrk "$connections" "$duration"
cpu_report "${start[@]}"
section "(c0) shell page alone: 1 thread, $quiet_connections connections, ${duration} s"
cpu_mark; start=("${mark[@]}")
run shell_quiet shell_wrk "$quiet_connections" "$duration"
cpu_report "${start[@]}"
echo "server memory: $(rss)"

section "(c) shell page ($quiet_connections connections, ${duration} s) while $sign_in_connections connections POST /api/sign_in ($((duration + 4)) s, starting 2 s earlier)"
cpu_mark; start=("${mark[@]}")
sign_in_wrk "$sign_in_connections" "$((duration + 4))" >"$work/sign_in.txt" &
background_pids+=($!)
sleep 2
run shell_busy shell_wrk "$quiet_connections" "$duration"
echo "server memory during the sign-ins: $(rss)"
wait "${background_pids[@]}"
background_pids=()
echo "-- the concurrent sign-in wrk:"
cat "$work/sign_in.txt"
result[sign_in]=$(summarize "$work/sign_in.txt")
cpu_report "${start[@]}"

# ---------------------------------------------------------------------------------------------
section "summary"
printf '%-44s %10s %10s %10s %9s %8s %8s\n' run "req/s" "p50 ms" "p99 ms" requests non-2xx "sock err"
row() { # row NAME LABEL
  local rps p50 p99 total bad sockerr
  read -r rps p50 p99 total bad sockerr <<<"${result[$1]}"
  printf '%-44s %10s %10s %10s %9s %8s %8s\n' "$2" "$rps" "$p50" "$p99" "$total" "$bad" "$sockerr"
}
row shell "(a) shell page GET /, $connections conn"
row static "(b) static $static_path, $connections conn"
row shell_quiet "(c0) shell page, $quiet_connections conn, alone"
row shell_busy "(c) shell page, $quiet_connections conn, during sign-ins"
row sign_in "    sign_in POST, $sign_in_connections conn (concurrent)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
field() { cut -d' ' -f"$2" <<<"${result[$1]}"; }
echo
echo "static / shell requests per second:      $(ratio "$(field static 1)" "$(field shell 1)")x"
echo "shell / static p50 latency:              $(ratio "$(field shell 2)" "$(field static 2)")x"
echo "shell p99 during sign-ins / alone:       $(ratio "$(field shell_busy 3)" "$(field shell_quiet 3)")x"
echo "shell p50 during sign-ins / alone:       $(ratio "$(field shell_busy 2)" "$(field shell_quiet 2)")x"
echo "server memory at the end:                $(rss)"
echo "load average at the end:                 $(cut -d' ' -f1-3 /proc/loadavg)"

section "server log"
sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" >"$work/server.txt"
echo "$(wc -l <"$work/server.txt") lines; ERROR lines: $(grep -c ' ERROR ' "$work/server.txt" || true); WARN lines: $(grep -c ' WARN ' "$work/server.txt" || true)"
# Lines that differ only in time and request id are counted as one message.
grep -E ' (ERROR|WARN) ' "$work/server.txt" | sed -E 's/^[^ ]+ +//; s/request\.id=[0-9a-f-]+/request.id=…/g' | cut -c1-300 \
  | sort | uniq -c | sort -rn | head -10 || true
