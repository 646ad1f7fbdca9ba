#!/usr/bin/env python3
"""Viewer benchmark: how fast `trawl serve` answers what the analyst page asks.

Builds a store from mkbench.py's pcap (1000 MB: about 44k sessions), starts
`trawl serve` on it and times, as a client sees them (median of --runs, after one
warm-up request each):

  * first rows: the sessions page's first request (100 rows, default order);
  * histogram: the page's second request (facets=1), which reads every match;
  * SPI view: the page's default fields, every match;
  * connections: source.ip -> ip.dst:port over the page's default 5000 sessions;
  * SPI graph of destination.port.

against the targets of issue 15 (first rows 300 ms, SPI view 1 s, connections 1 s),
printed as time / target. With --sessions N it then adds mkbench pcaps of other
seeds to a second store until it holds N sessions (each pcap is captured in place,
then deleted: the store keeps the documents) and runs the same queries there.

    python3 bench/viewer_bench.py                     # 1000 MB store
    python3 bench/viewer_bench.py --sessions 1000000  # and a store of 1M sessions

Figures are only comparable within one run on one machine; report ratios.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.environ.get("TRAWL_BIN", os.path.join(ROOT, "target", "release", "trawl"))

SPI = "node:100,protocol:100,source.ip:100,destination.ip:100,destination.port:100,http.host:100,dns.host:100,tls.cipher:100"
QUERIES = [
    ("first rows", "/api/sessions?date=-1&length=100", 0.3),
    ("histogram", "/api/sessions?date=-1&length=1&facets=1", None),
    ("SPI view", f"/api/spiview?date=-1&spi={SPI}", 1.0),
    ("connections", "/api/connections?date=-1&srcField=source.ip&dstField=ip.dst:port", 1.0),
    ("SPI graph", "/api/spigraph?date=-1&field=destination.port&size=20", None),
    ("rows by ip.src", "/api/sessions?date=-1&length=100&order=source.ip:asc", None),
]


def run(cmd, **kw):
    r = subprocess.run(cmd, **kw)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}")
    return r


def mkbench(out, mb, seed):
    run([sys.executable, os.path.join(SHARED, "bench", "mkbench.py"), out, "--mb", str(mb), "--seed", str(seed)],
        stdout=subprocess.DEVNULL)


def capture(pcap, data):
    run([BIN, "capture", "-q", "-r", pcap, "-o", f"dataDir={data}"])


def sessions_in(data):
    out = run([BIN, "db", "info", "-o", f"dataDir={data}"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+) documents", out)
    return int(m.group(1)) if m else 0


def timed(base, path, runs):
    """Median seconds of `runs` requests (after one warm-up) and the answer's size."""
    size = 0
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=600) as r:
            size = len(r.read())
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), size


def bench_store(data, runs, label):
    srv = subprocess.Popen([BIN, "serve", "-q", "-o", f"dataDir={data}", "--listen", "127.0.0.1:0"],
                           stdout=subprocess.PIPE, text=True)
    try:
        line = srv.stdout.readline().strip()
        base = line.removeprefix("listening on ")
        n = json.load(urllib.request.urlopen(base + "/api/sessions?date=-1&length=1"))["recordsTotal"]
        print(f"\n{label}: {n} sessions")
        print(f"  {'query':16} {'median':>9} {'target':>7} {'ratio':>6}  bytes")
        for name, path, target in QUERIES:
            t, size = timed(base, path, runs)
            ratio = f"{t / target:6.2f}" if target else "     -"
            tgt = f"{target:6.1f}s" if target else "      -"
            print(f"  {name:16} {t * 1000:7.0f}ms {tgt} {ratio}  {size}")
    finally:
        srv.kill()
        srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=0, help="also a store of at least this many sessions")
    ap.add_argument("--work", help="working directory (default: a temporary one)")
    a = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"build first: cargo build --release (no {BIN})")
    work = a.work or tempfile.mkdtemp(prefix="trawl-viewer-bench-")
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "bench-1.pcap")
    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        mkbench(pcap, a.mb, 1)
        capture(pcap, data)
    bench_store(data, a.runs, f"{a.mb} MB benchmark store")
    if a.sessions:
        big = os.path.join(work, "big")
        seed = 1
        t0 = time.time()
        while sessions_in(big) < a.sessions:
            p = os.path.join(work, f"round-{seed}.pcap")
            mkbench(p, a.mb, seed)
            capture(p, big)
            os.remove(p)
            print(f"  store of {sessions_in(big)} sessions ({time.time() - t0:.0f} s)", file=sys.stderr)
            seed += 1
        bench_store(big, a.runs, "large store")


if __name__ == "__main__":
    main()
