#!/usr/bin/env python3
"""Documents per second from `trawl capture` into a local OpenSearch node, beside the
rate the same node takes for the same bulk bodies posted raw (its ceiling here).

Usage: python3 bench/cluster_bench.py [--mb 1000] [--url http://127.0.0.1:9200]

Needs a node (tests/opensearch/node.sh start) and ../shared/bench/mkbench.py. Both runs
go into fresh prefixes initialized by `trawl db init`, so they meet the same templates:
  1. capture: `trawl capture -r bench.pcap` with elasticsearch= and the default
     dbBulkSize; the rate is the documents the cluster accepted over the wall time of
     the whole capture (reading included: it overlaps the sending);
  2. raw: the same session documents (from `trawl capture --tests`) in bulk bodies of
     the same size, POSTed one after another on one keep-alive connection, as
     trawl's sender does, without gzip; the rate is documents over the posting time.
The ratio capture/raw says how close the capture comes to what the node takes.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAWL = os.path.join(ROOT, "target/release/trawl")


def req(url, method, path, body=None, ctype="application/json"):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    c.request(method, path, body=body, headers={"Content-Type": ctype})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def fresh(url, prefix):
    req(url, "DELETE", f"/{prefix}*")
    req(url, "DELETE", f"/_template/{prefix}*")
    subprocess.run([TRAWL, "db", "init", "-q", "--elasticsearch", url, "--prefix", prefix],
                   check=True, stdin=subprocess.DEVNULL)


def count(url, prefix):
    req(url, "POST", f"/{prefix}sessions3-*/_refresh")
    st, data = req(url, "GET", f"/{prefix}sessions3-*/_count")
    return json.loads(data)["count"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--url", default="http://127.0.0.1:9200")
    ap.add_argument("--bulk", type=int, default=1_000_000, help="bulk body bytes (dbBulkSize)")
    a = ap.parse_args()
    mkbench = os.path.join(ROOT, "../shared/bench/mkbench.py")
    pcap = os.path.join(tempfile.gettempdir(), f"trawl-bench-{a.mb}.pcap")
    if not os.path.exists(pcap):
        print(f"writing {pcap}", file=sys.stderr)
        subprocess.run([sys.executable, mkbench, pcap, "--mb", str(a.mb)], check=True)

    # 1. trawl capture into the node.
    fresh(a.url, "bench_cap_")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        p = subprocess.run([TRAWL, "capture", "-o", f"elasticsearch={a.url}", "-o", "prefix=bench_cap_",
                            "-o", f"dataDir={d}", "-o", f"dbBulkSize={a.bulk}", "-r", pcap],
                           capture_output=True, text=True)
        wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(p.stderr[-3000:])
    m = re.search(r"elasticsearch: (\d+) documents: (\d+) accepted", p.stderr)
    accepted = int(m.group(2))
    sessions = count(a.url, "bench_cap_")
    cap_rate = sessions / wall

    # 2. The same documents posted raw.
    out = subprocess.run([TRAWL, "capture", "--tests", "-r", pcap], capture_output=True, check=True).stdout
    docs = json.loads(out)["sessions3"]
    bodies, cur = [], []
    size = 0
    for doc in docs:
        action = {"index": {"_index": doc["header"]["index"]["_index"].replace("arkime_", "bench_raw_", 1)}}
        if doc["header"]["index"].get("_id"):
            action["index"]["_id"] = doc["header"]["index"]["_id"]
        line = json.dumps(action) + "\n" + json.dumps(doc["body"]) + "\n"
        if cur and size + len(line) > a.bulk:
            bodies.append("".join(cur).encode())
            cur, size = [], 0
        cur.append(line)
        size += len(line)
    if cur:
        bodies.append("".join(cur).encode())
    del out, docs
    fresh(a.url, "bench_raw_")
    u = urllib.parse.urlparse(a.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    t0 = time.monotonic()
    errors = 0
    for b in bodies:
        c.request("POST", "/_bulk", body=b, headers={"Content-Type": "application/x-ndjson"})
        r = c.getresponse()
        data = r.read()
        if r.status != 200 or b'"errors":true' in data[:100]:
            errors += 1
    raw_wall = time.monotonic() - t0
    c.close()
    raw_docs = count(a.url, "bench_raw_")
    raw_rate = raw_docs / raw_wall

    print(f"pcap: {a.mb} MB, {sessions} sessions ({accepted} documents accepted incl. files)")
    print(f"trawl capture -> node: {cap_rate:,.0f} docs/s ({sessions} in {wall:.1f} s, reading included)")
    print(f"raw _bulk     -> node: {raw_rate:,.0f} docs/s ({raw_docs} in {raw_wall:.1f} s, {len(bodies)} bodies, {errors} with errors)")
    print(f"ratio capture/raw: {cap_rate / raw_rate:.2f}")
    for p in ("bench_cap_", "bench_raw_"):
        req(a.url, "DELETE", f"/{p}*")
        req(a.url, "DELETE", f"/_template/{p}*")


if __name__ == "__main__":
    main()
