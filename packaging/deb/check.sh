#!/usr/bin/env bash
# The Debian package end to end, as root on a Debian machine (CI): build it from
# target/release/trawl, install it with apt-get (which pulls its Depends), check
# `trawl --version` from /usr/bin, capture samples/sample.pcap with the installed
# config and paths as the trawl user (as the services run), count its sessions with
# `trawl sessions` and through `trawl serve`, verify the systemd units, then purge and
# check that nothing is left. Without root, or where trawl is already installed, it
# says so and does nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
start=$SECONDS

if [ "$(id -u)" != 0 ]; then
  echo "package check skipped: installing a package needs root"
  exit 0
fi
if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
  echo "package check skipped: not a Debian system (no dpkg/apt-get)"
  exit 0
fi
status="$(dpkg-query -W -f='${db:Status-Status}' trawl 2>/dev/null || true)"
if { [ -n "$status" ] && [ "$status" != not-installed ]; } || [ -e /opt/trawl ]; then
  echo "package check skipped: trawl is already installed here (or /opt/trawl exists); not touching it"
  exit 0
fi

fail() {
  echo "package check: $*" >&2
  exit 1
}
work="$(mktemp -d)"
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  status="$(dpkg-query -W -f='${db:Status-Status}' trawl 2>/dev/null || true)"
  if [ -n "$status" ] && [ "$status" != not-installed ]; then
    dpkg --purge trawl >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
# Out of the tree: the trawl user need not reach it, and nothing lands in it.
cd "$work"

deb="$("$here/build.sh" "$work")"
echo "built $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB," \
  "installed $(dpkg-deb -f "$deb" Installed-Size) KiB; Depends: $(dpkg-deb -f "$deb" Depends)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/install.log" 2>&1 ||
  {
    cat "$work/install.log"
    fail "apt-get install failed"
  }

version="$(dpkg-deb -f "$deb" Version)"
[ "$(readlink /usr/bin/trawl)" = /opt/trawl/bin/trawl ] || fail "/usr/bin/trawl is not the link to /opt/trawl/bin/trawl"
said="$(/usr/bin/trawl --version)"
[ "$said" = "trawl $version" ] || fail "/usr/bin/trawl --version says '$said', not 'trawl $version'"
echo "/usr/bin/trawl --version: $said"

getent passwd trawl >/dev/null || fail "no trawl user"
for d in /opt/trawl/data /opt/trawl/raw /opt/trawl/logs; do
  [ "$(stat -c %U:%G "$d")" = trawl:trawl ] || fail "$d is not owned by trawl:trawl"
done
for f in /opt/trawl/etc/config.ini /etc/logrotate.d/trawl; do
  grep -qx "$f" /var/lib/dpkg/info/trawl.conffiles || fail "$f is not a conffile"
done

# The sample, captured from the installed paths by the trawl user (the services' user:
# the viewer runs as trawl, the capture drops to it), into /opt/trawl/data.
cp "$root/samples/sample.pcap" "$work/sample.pcap"
chmod 0644 "$work/sample.pcap"
as_trawl() { setpriv --reuid=trawl --regid=trawl --init-groups -- "$@"; }
cfg=/opt/trawl/etc/config.ini
want="$(/opt/trawl/bin/trawl capture --tests -q -r "$work/sample.pcap" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["sessions3"]))')"
[ "$want" -gt 0 ] || fail "the sample has no sessions"
as_trawl /opt/trawl/bin/trawl capture -q -c "$cfg" -r "$work/sample.pcap" ||
  fail "capture of the sample from the installed config failed"
got="$(as_trawl /usr/bin/trawl sessions -q -c "$cfg" --json --limit 100000 | wc -l)"
[ "$got" = "$want" ] || fail "trawl sessions -c $cfg shows $got sessions, the sample has $want"
[ -d /opt/trawl/data/sessions ] || fail "the sessions are not in /opt/trawl/data"
echo "sample captured into /opt/trawl/data: $got sessions"

# trawl serve as trawlviewer.service runs it (its ExecStart, on a free port).
exec_start="$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/trawlviewer.service)"
[ "$exec_start" = "/opt/trawl/bin/trawl serve -c $cfg \$OPTIONS" ] ||
  fail "trawlviewer.service runs '$exec_start'"
# setpriv itself (not the function, which would run in a subshell) execs trawl: $!
# is trawl's pid.
setpriv --reuid=trawl --regid=trawl --init-groups -- \
  /opt/trawl/bin/trawl serve -q -c "$cfg" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
url=
for _ in $(seq 100); do
  url="$(sed -n 's/^listening on //p' "$work/serve.out")"
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || {
  cat "$work/serve.err"
  fail "trawl serve did not start"
}
curl -sSf -o "$work/sessions.json" "$url/api/sessions?date=-1" ||
  fail "GET $url/api/sessions failed"
seen="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["recordsFiltered"])' \
  "$work/sessions.json")" || fail "GET $url/api/sessions did not answer the sessions"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=
[ "$seen" = "$want" ] || fail "trawl serve shows $seen sessions, the sample has $want"
echo "trawl serve -c $cfg (as trawl): $seen sessions"

if command -v systemd-analyze >/dev/null; then
  (cd / && systemd-analyze verify /usr/lib/systemd/system/trawlcapture.service \
    /usr/lib/systemd/system/trawlviewer.service) || fail "systemd-analyze verify failed"
  echo "systemd-analyze verify: trawlcapture.service trawlviewer.service fine"
else
  echo "systemd-analyze missing: units not verified"
fi

dpkg --purge trawl >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log"
  fail "dpkg --purge failed"
}
for f in /opt/trawl /usr/bin/trawl /usr/lib/systemd/system/trawlcapture.service \
  /usr/lib/systemd/system/trawlviewer.service /etc/logrotate.d/trawl; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    fail "$f is still there after dpkg --purge"
  fi
done
if getent passwd trawl >/dev/null || getent group trawl >/dev/null; then
  fail "the trawl user or group is still there after dpkg --purge"
fi
echo "purged: /opt/trawl, /usr/bin/trawl, the units and the trawl user are gone"
echo "package check passed in $((SECONDS - start)) s"
