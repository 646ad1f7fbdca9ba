#!/bin/sh
# Builds Arkime's C capture from its public source, outside this repository, as the
# reference trawl is compared with (its regression suite, our own captures, CPU
# benchmarks). Debian 12; every library comes from Debian's packages.
#
#   build.sh SRC_GIT_URL_OR_DIR [BUILD_DIR]    (BUILD_DIR defaults to /work/arkime-build)
#
# Leaves BUILD_DIR/bin/capture, BUILD_DIR/parsers/*.so and BUILD_DIR/plugins/*.so
# (Arkime's test plugin included). run-capture.sh runs it.
set -eu
src=$1
build=${2:-/work/arkime-build}
apt-get install -y -q autoconf automake libtool pkg-config libglib2.0-dev libpcap-dev \
  libyara-dev libmaxminddb-dev libcurl4-openssl-dev libnghttp2-dev libzstd-dev libmagic-dev \
  libssl-dev libyaml-dev libpcre3-dev uuid-dev libffi-dev libnl-3-dev libnl-genl-3-dev zlib1g-dev
work=$(mktemp -d)
git clone -q "$src" "$work/arkime"
cd "$work/arkime"
git log -1 --format='Arkime commit %H (%cd)'
./bootstrap.sh
# Python wants 3.12 (Debian 12 has 3.11); kafka and the other services are not needed.
./configure --prefix="$build/opt" --without-cont3xt --without-wise --without-parliament \
  --without-release --without-kafka --without-python
(cd capture && make -j2)
(cd tests/plugins && make)
mkdir -p "$build/bin" "$build/parsers" "$build/plugins"
cp capture/capture "$build/bin/"
cp capture/parsers/*.so "$build/parsers/"
cp capture/plugins/*.so tests/plugins/test.so "$build/plugins/"
rm -rf "$work"
echo "built $build/bin/capture"
