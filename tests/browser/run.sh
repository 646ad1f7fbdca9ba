#!/usr/bin/env bash
# Browser tests of trawl's analyst page (crates/viewer/assets), on headless Chromium
# driven by playwright-core, against a real `trawl serve` on a store captured from the
# regression pcaps listed in pcaps.mjs.
#
#   tests/browser/run.sh                 # uses target/release/trawl
#   TRAWL_BIN=/path/to/trawl tests/browser/run.sh
#   TRAWL_VIEWER_ASSETS=$PWD/crates/viewer/assets tests/browser/run.sh   # page from disk
#   TRAWL_SCREENSHOT_README=1 tests/browser/run.sh                       # also docs/screenshot-sessions.png
#
# Needs /usr/bin/chromium (Debian package `chromium`), node ≥ 20 with npm, and
# ../shared/arkime-regression beside the repository (without it: skipped, but a
# failure under CI=true). Screenshots of every page go to tests/browser/artifacts/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
reg="$repo/../shared/arkime-regression"
bin=${TRAWL_BIN:-$repo/target/release/trawl}

if [ ! -f "$reg/config.test.ini" ]; then
  echo "browser tests: $reg is missing (the regression pcaps live in ../shared); skipped" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "browser tests: /usr/bin/chromium is missing: apt-get install chromium" >&2
  exit 1
fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "browser tests: node and npm are needed" >&2; exit 1; }
[ -x "$bin" ] || { echo "browser tests: no trawl binary at $bin (build it, or set TRAWL_BIN)" >&2; exit 1; }

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-browser.XXXXXX")
servers=() # pids of the trawl serve processes started below
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The store: the listed pcaps, captured as Arkime's regression run does (from the
# regression folder, so that config.test.ini's relative paths resolve), without
# Elasticsearch and with each file's sessions saved before the next.
mapfile -t pcaps < <(node "$here/pcaps.mjs")
args=()
for p in "${pcaps[@]}"; do args+=(-r "pcap/$p.pcap"); done
echo "== capturing ${#pcaps[@]} regression pcaps"
(cd "$reg" && "$bin" capture -q -c config.test.ini -n test --flush \
  -o elasticsearch= -o "dataDir=$work/data" "${args[@]}")

# Starts `trawl serve` on a free port with extra arguments; sets $url and adds its pid
# to $servers. It prints "listening on http://ADDR".
start_server() {
  local name=$1; shift
  (cd "$reg" && exec "$bin" serve -q -c config.test.ini -n test -o elasticsearch= -o "dataDir=$work/data" \
    --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err") &
  local pid=$!
  servers+=("$pid")
  url=
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/$name.out" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "browser tests: trawl serve ($name) did not start" >&2
    cat "$work/$name.out" "$work/$name.err" >&2
    exit 1
  fi
  echo "== trawl serve ($name) at $url"
}
start_server serve
main_url=$url

# With `trawl user` in the binary: a second server that needs a login (login.test.mjs).
auth_url=
if "$bin" user --help >/dev/null 2>&1; then
  auth_pass="browser test $$"
  (cd "$reg" && printf '%s\n' "$auth_pass" | "$bin" user add analyst -c config.test.ini -n test \
    -o elasticsearch= -o "dataDir=$work/data" --users "$work/users" >/dev/null)
  start_server auth --users "$work/users"
  auth_url=$url
fi

mkdir -p "$here/artifacts"
status=0
(cd "$here" && TRAWL_URL="$main_url" TRAWL_REGRESSION="$reg" \
  TRAWL_AUTH_URL="$auth_url" TRAWL_AUTH_USER=analyst TRAWL_AUTH_PASS="${auth_pass:-}" \
  node --test --test-concurrency=1 --test-reporter=spec sessions.test.mjs views.test.mjs login.test.mjs) || status=$?
if [ "$status" != 0 ]; then
  echo "== trawl serve's log" >&2
  tail -n 40 "$work/serve.err" >&2 || true
fi
exit "$status"
