#!/usr/bin/env bash
# Diffs the session documents of every Arkime regression pcap between revision REV and
# the working tree, normalized as crates/cli/tests/documents.rs normalizes them (one
# session per line, keys sorted, volatile values set to "SET"). A refactor shows an
# empty diff; a change meant to alter documents shows exactly what it alters.
#
#   tests/doc-diff.sh REV            # e.g. tests/doc-diff.sh main~3
#
# REV is built in a worktree with its own target dir (target/doc-diff-base), so the
# first run is a full build.
set -euo pipefail
rev=${1:?usage: tests/doc-diff.sh REV}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-doc-diff.XXXXXX")
git -C "$repo" worktree add -q --detach "$work/src" "$rev"
cleanup() { git -C "$repo" worktree remove --force "$work/src" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== building $rev" >&2
(cd "$work/src" && CARGO_TARGET_DIR="$repo/target/doc-diff-base" cargo build --release -q -p trawl)
echo "== building the working tree" >&2
(cd "$repo" && cargo build --release -q -p trawl)

dump() { # $1: binary, $2: folder
  (cd "$repo" && TRAWL_DOCS_BIN="$1" TRAWL_DOCS_DUMP="$2" \
    cargo test --release -q -p trawl --test documents every_regression_pcap >/dev/null)
}
dump "$repo/target/doc-diff-base/release/trawl" "$work/before"
dump "$repo/target/release/trawl" "$work/after"
if diff -ru "$work/before" "$work/after"; then
  echo "no document differs" >&2
else
  exit 1
fi
