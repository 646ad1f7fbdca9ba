#!/bin/sh
# HTTP/2 in clear text between the namespaces, captured on the server's side:
#   h2c-prior-knowledge.pcap: curl --http2-prior-knowledge (GET, a PNG, a POST; a connection each)
#   h2c-upgrade.pcap: curl --http2 on http:// to hypercorn (HTTP/1.1 Upgrade: h2c, 101,
#     then HTTP/2; a GET and a POST)
#   h2c-nghttp.pcap: nghttp fetching three resources on one connection
cd "$(dirname "$0")"
out=$PWD/..
# The served files: a page and a 16x16 PNG (so bodies have magic).
mkdir -p www
printf '<!doctype html>\n<html><head><title>trawl h2</title></head><body>hello over h2c</body></html>\n' > www/index.html
python3 -c "
import struct, zlib
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
raw = b''.join(b'\\x00' + bytes([x % 256, 0, 0] * 16) for x in range(16))
open('www/logo.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16, 16, 8, 2, 0, 0, 0))
  + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
"
ip netns exec trawl-s nghttpd --no-tls -d www 8080 >/dev/null 2>&1 &
srv=$!
sleep 1
cap() {
  name=$1; shift
  ip netns exec trawl-s tcpdump -Z root -U -q -i vs -w "$out/$name.pcap" tcp portrange 8080-8081 2>/dev/null &
  td=$!
  sleep 1
  ip netns exec trawl-c "$@" >/dev/null
  sleep 1
  kill $td 2>/dev/null; wait $td 2>/dev/null
}
cap h2c-prior-knowledge sh -c 'for u in index.html logo.png; do curl -s -o /dev/null --http2-prior-knowledge -A "trawl-test/1.0" http://10.10.0.2:8080/$u; done; curl -s -o /dev/null --http2-prior-knowledge -d "user=alice&x=1" "http://10.10.0.2:8080/index.html?q=search"'
# nghttpd does not answer Upgrade: h2c; hypercorn (app.py) does.
ip netns exec trawl-s hypercorn --bind 10.10.0.2:8081 app:app >/dev/null 2>&1 &
hc=$!
sleep 2
cap h2c-upgrade sh -c 'curl -s -o /dev/null --http2 -H "X-Trace: 42" http://10.10.0.2:8081/index.html; curl -s -o /dev/null --http2 -d "a=b" http://10.10.0.2:8081/form'
kill $hc; wait $hc 2>/dev/null
cap h2c-nghttp nghttp -n http://10.10.0.2:8080/index.html http://10.10.0.2:8080/logo.png http://10.10.0.2:8080/missing
kill $srv; wait $srv 2>/dev/null
