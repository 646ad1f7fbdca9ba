#!/usr/bin/env bash
# Builds trawl's Debian package from the release binary with dpkg-deb (no cargo-deb):
#   cargo build --release -p trawl && packaging/deb/build.sh [OUT_DIR]
# prints the path of the .deb (OUT_DIR defaults to target/debian). The layout mirrors
# Arkime's /opt/arkime: /opt/trawl/{bin,etc,data,raw,logs} and /usr/bin/trawl.
# TRAWL_BIN picks another binary; DEBFULLNAME and DEBEMAIL set the Maintainer field.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/debian}"
bin="${TRAWL_BIN:-$root/target/release/trawl}"
pkg=trawl

die() {
  echo "build.sh: $*" >&2
  exit 1
}
[ -x "$bin" ] || die "no $bin: build it first (cargo build --release -p trawl)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian's dpkg)"

# The version of crates/cli (the workspace's), which the binary must report too.
version="$(cd "$root" && cargo metadata --no-deps --format-version 1 --offline |
  python3 -c 'import json, sys
print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "trawl"))')"
[ -n "$version" ] || die "no version for package trawl in cargo metadata"
said="$("$bin" --version)"
[ "$said" = "trawl $version" ] || die "$bin says '$said', Cargo.toml says $version: rebuild it"
arch="$(dpkg --print-architecture)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -d -m 0755 "$stage/DEBIAN" "$stage/opt/trawl/bin" "$stage/opt/trawl/etc" \
  "$stage/usr/bin" "$stage/usr/lib/systemd/system" "$stage/etc/logrotate.d" \
  "$stage/usr/share/doc/$pkg"
# Without the debug info the release profile keeps (debug = 1): a sixth of the size.
if command -v strip >/dev/null; then
  strip --strip-unneeded --remove-section=.comment -o "$stage/opt/trawl/bin/trawl" "$bin"
  chmod 0755 "$stage/opt/trawl/bin/trawl"
else
  install -m 0755 "$bin" "$stage/opt/trawl/bin/trawl"
fi
ln -s /opt/trawl/bin/trawl "$stage/usr/bin/trawl"
install -m 0644 "$root/packaging/config.ini" "$stage/opt/trawl/etc/config.ini"
install -m 0644 "$root/packaging/systemd/trawlcapture.service" \
  "$root/packaging/systemd/trawlviewer.service" "$stage/usr/lib/systemd/system/"
install -m 0644 "$here/logrotate" "$stage/etc/logrotate.d/trawl"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
printf '%s\n' /opt/trawl/etc/config.ini /etc/logrotate.d/trawl >"$stage/DEBIAN/conffiles"
cat >"$stage/usr/share/doc/$pkg/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: trawl

Files: *
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
chmod 0644 "$stage/usr/share/doc/$pkg/copyright"

# Depends: the packages of the libraries the binary links (libpcap0.8, libc6,
# libgcc-s1), with dpkg-shlibdeps' minimum versions when dpkg-dev is installed, else
# unversioned from dpkg -S; passwd for useradd in postinst.
libs_depends() {
  local work found=
  if command -v dpkg-shlibdeps >/dev/null; then
    work="$(mktemp -d)"
    mkdir "$work/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"
    found="$( (cd "$work" && dpkg-shlibdeps -O "$stage/opt/trawl/bin/trawl" 2>/dev/null) |
      sed -n 's/^shlibs:Depends=//p')" || found=
    rm -rf "$work"
    if [ -n "$found" ]; then
      echo "$found"
      return
    fi
  fi
  local lib path cand p deps=()
  for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    # The file the loader picks (ldd), under its names with and without /usr (merged
    # /usr: dpkg knows one of them); the loader itself has no "=>" line.
    path="$(ldd "$bin" | awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }')"
    p=
    for cand in ${path:+"$path" "$(realpath "$path")" "/usr$path" "${path#/usr}"} "*/$lib"; do
      p="$(dpkg -S "$cand" 2>/dev/null | sed -n '1s/[:,].*//p')"
      [ -z "$p" ] || break
    done
    [ -n "$p" ] || die "no package holds $lib"
    deps+=("$p")
  done
  printf '%s\n' "${deps[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
}
depends="$(libs_depends)"
[ -n "$depends" ] || die "could not work out the libraries' packages"
depends="$depends, passwd"

size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: ${DEBFULLNAME:-trawl maintainers} <${DEBEMAIL:-trawl@localhost}>
Installed-Size: $size
Depends: $depends
Suggests: logrotate
Section: net
Priority: optional
Description: full packet capture and session indexing, compatible with Arkime
 trawl is a reimplementation of Arkime's capture in Rust: it reads Arkime's
 config.ini and command line and writes Arkime's session documents, to an
 embedded store or an OpenSearch/Elasticsearch cluster, with the pcap. trawl
 serve is its analyst page and Arkime's viewer API.
 .
 Installed in /opt/trawl as Arkime is in /opt/arkime, with the systemd units
 trawlcapture and trawlviewer (not enabled).
CONTROL

# Reproducible: every file dated from the last commit, owned by root.
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
find "$stage" -exec touch -h -d "@$epoch" {} +
mkdir -p "$out"
deb="$out/${pkg}_${version}_${arch}.deb"
SOURCE_DATE_EPOCH="$epoch" dpkg-deb --root-owner-group -Zxz -b "$stage" "$deb" >/dev/null
echo "$deb"
