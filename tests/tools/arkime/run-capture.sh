#!/bin/bash
# Runs the reference Arkime capture (tests/tools/arkime/build.sh) in --tests mode and
# prints {"sessions3": [...]} on stdout, as trawl's `capture --tests` does, so that
# ../shared/arkime-regression/compare.py can run it:
#
#   run-capture.sh CONFIG PCAP        (ARKIME_BUILD defaults to /work/arkime-build)
#
# A copy of CONFIG is used with parsersDir/pluginsDir pointed at the build; its other
# relative file names resolve against the current directory (compare.py runs from the
# regression folder).
set -o pipefail
build=${ARKIME_BUILD:-/work/arkime-build}
if [ $# -ne 2 ]; then
  echo "usage: $0 CONFIG PCAP" >&2
  exit 2
fi
# capture exits 0 with no sessions when it cannot open the pcap: fail instead.
for f in "$1" "$2"; do
  [ -r "$f" ] || { echo "$0: cannot read $f" >&2; exit 2; }
done
cfg=$(mktemp /tmp/arkime-config.XXXXXX.ini)
json=$(mktemp /tmp/arkime-json.XXXXXX)
log=$(mktemp /tmp/arkime-log.XXXXXX)
trap 'rm -f "$cfg" "$json" "$log"' EXIT
sed -e "s#^parsersDir *=.*#parsersDir = $build/parsers#" \
  -e "s#^pluginsDir *=.*#pluginsDir = $build/plugins#" "$1" > "$cfg"
# In --tests mode capture writes the JSON on stderr and its log on stdout.
if ! "$build/bin/capture" --tests -c "$cfg" -n test -r "$2" >"$log" 2>"$json"; then
  cat "$log" "$json" >&2
  exit 1
fi
cat "$json"
