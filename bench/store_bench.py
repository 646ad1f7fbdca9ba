#!/usr/bin/env python3
"""Store benchmark: capture mkbench.py's pcap with indexing on (the embedded store) and
with --dryrun, then time ten typical searches over the result.

Prints the wall-time ratio (store / dryrun; of the best runs, and the median of each
store run against the dry run just before it), documents indexed per second, index bytes
per session, and each search's latency (best of 3 runs of `trawl sessions`, which
includes starting the process and opening the store). Run from the repository root:

    python3 bench/store_bench.py --mb 1000

Figures are only comparable within one run on one machine; report ratios.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")

SEARCHES = [
    "ip.src == 10.0.0.0/8",
    "ip.dst == 10.1.2.3",
    "port.dst == 80",
    "port.dst == 1000-2000",
    "protocols == udp",
    "protocols == tcp && port.dst != 443",
    "ip.src == 10.0.0.0/16 && port.src == 40000-50000",
    "tags == nope",
    "packets.src > 10",
    "host.http == *.example.com || port.dst == 53",
]


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, **kw):
    t0 = time.monotonic()
    c0 = cpu_children()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.monotonic() - t0
    p.cpu = cpu_children() - c0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    return dt, p


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each kind (best kept)")
    ap.add_argument("--pcap", help="benchmark pcap (default /tmp/trawl-bench-<mb>.pcap, made if missing)")
    ap.add_argument("--trawl", default=os.path.join(ROOT, "target", "release", "trawl"))
    args = ap.parse_args()
    pcap = os.path.abspath(args.pcap or f"/tmp/trawl-bench-{args.mb}.pcap")
    if not os.path.exists(pcap):
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "mkbench.py"), pcap, "--mb", str(args.mb)], check=True)
    work = tempfile.mkdtemp(prefix="trawl-store-bench-")
    data = os.path.join(work, "data")
    base = [args.trawl]
    opt = ["-o", f"dataDir={data}", "-o", "packetThreads=2"]

    # A first, untimed pass brings the pcap into the page cache; then the two kinds of
    # run alternate and each keeps its best of --runs, so neither pays for a cold cache
    # or a busy moment the other missed.
    timed(base + ["capture", "-q", "--dryrun"] + opt + ["-r", pcap])
    dry = store = dry_cpu = store_cpu = None
    pair_ratios = []
    for _ in range(args.runs):
        d, pd = timed(base + ["capture", "-q", "--dryrun"] + opt + ["-r", pcap])
        shutil.rmtree(data, ignore_errors=True)
        s, p = timed(base + ["capture"] + opt + ["-r", pcap])
        # Each store run is compared with the dry run just before it as well: the
        # machine's speed drifts between runs, much less within a pair.
        pair_ratios.append(s / d)
        dry = d if dry is None else min(dry, d)
        store = s if store is None else min(store, s)
        dry_cpu = pd.cpu if dry_cpu is None else min(dry_cpu, pd.cpu)
        store_cpu = p.cpu if store_cpu is None else min(store_cpu, p.cpu)
    m = re.search(r"(\d+) documents indexed", p.stderr)
    docs = int(m.group(1)) if m else 0
    index_bytes = du(os.path.join(data, "sessions"))
    print(f"pcap {os.path.getsize(pcap) / 1e6:.0f} MB; {docs} sessions")
    print(f"capture --dryrun {dry:.2f} s; capture into the store {store:.2f} s (best of {args.runs}); ratio {store / dry:.2f}")
    print(f"ratio of each store run to the dry run before it: median {statistics.median(pair_ratios):.2f} "
          f"({', '.join(f'{r:.2f}' for r in sorted(pair_ratios))})")
    print(f"CPU seconds (user+sys): --dryrun {dry_cpu:.2f}; into the store {store_cpu:.2f}; ratio {store_cpu / dry_cpu:.2f}")
    print(f"documents indexed per second (whole capture): {docs / store:.0f}")
    print(f"index bytes per session: {index_bytes / max(docs, 1):.0f} ({index_bytes / 1e6:.1f} MB)")
    for q in SEARCHES:
        best = None
        for _ in range(3):
            dt, r = timed(base + ["sessions", "-o", f"dataDir={data}", "--limit", "50", q])
            best = dt if best is None else min(best, dt)
        n = re.search(r"of (\d+) matching", r.stderr)
        print(f"{best * 1000:7.1f} ms  {n.group(1) if n else '?':>8} matches  {q}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
