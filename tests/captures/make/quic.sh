#!/bin/sh
# IETF QUIC between the namespaces (aioquic server, quic.py), captured on the server's side:
#   quic-v1-aioquic.pcap, quic-v2-aioquic.pcap: aioquic clients, QUIC v1 and v2
#   quic-v1-chromium.pcap: headless Chromium forced onto QUIC (its ClientHello, with a
#     post-quantum key share, spans two Initial packets)
cd "$(dirname "$0")"
out=$PWD/..
[ -f quic-cert.pem ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout quic-key.pem -out quic-cert.pem -days 3650 -subj "/CN=quic.example" \
  -addext "subjectAltName=DNS:quic.example" 2>/dev/null
ip netns exec trawl-s python3 quic.py server >/dev/null 2>&1 &
srv=$!
sleep 2
cap() {
  name=$1; shift
  ip netns exec trawl-s tcpdump -Z root -U -q -i vs -w "$out/$name.pcap" udp port 4433 2>/dev/null &
  td=$!
  sleep 1
  timeout 20 ip netns exec trawl-c "$@" >/dev/null 2>&1
  sleep 1
  kill $td 2>/dev/null; wait $td 2>/dev/null
}
cap quic-v1-aioquic python3 quic.py client 1 quic.example
cap quic-v2-aioquic python3 quic.py client 2 v2.quic.example
cap quic-v1-chromium chromium --headless --no-sandbox --disable-gpu --enable-quic \
  --origin-to-force-quic-on=www.quic.example:4433 \
  --host-resolver-rules="MAP www.quic.example 10.10.0.2" --ignore-certificate-errors \
  --user-data-dir=/tmp/trawl-chromium --dump-dom https://www.quic.example:4433/
kill $srv; wait $srv 2>/dev/null
