#!/usr/bin/env python3
"""Live-capture benchmark: replays mkbench.py's pcap through a veth pair between two
network namespaces at rising packet rates while `trawl capture -i` (each reader:
libpcap and tpacketv3) listens on the other end, and reports for each reader the
highest rate with no packet dropped (by the kernel or on trawl's full queues), then
the drop counters at top speed.

Needs root. Run from the repository root:

    python3 bench/live_bench.py --pcap /tmp/trawl-bench-1000.pcap --packets 400000
    python3 bench/live_bench.py --mb 200           # makes the pcap with mkbench.py

The sender is the project's own (crates/readers/examples/replay.rs, AF_PACKET).
Captures run with --dryrun (readers, decode, sessions and parsers; no pcap or index
writing). Figures are only comparable within one run on one machine.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


class Net:
    """Namespaces tbA (capture) and tbB (sender) joined by veth vtbA/vtbB."""

    def __init__(self):
        self.a, self.b = "tbA%d" % os.getpid(), "tbB%d" % os.getpid()
        self.va, self.vb = "vtbA", "vtbB"
        sh("ip", "netns", "add", self.a)
        sh("ip", "netns", "add", self.b)
        sh("ip", "link", "add", self.va, "type", "veth", "peer", "name", self.vb)
        sh("ip", "link", "set", self.va, "netns", self.a)
        sh("ip", "link", "set", self.vb, "netns", self.b)
        for ns, dev in ((self.a, self.va), (self.b, self.vb)):
            sh("ip", "-n", ns, "link", "set", dev, "mtu", "9000")
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def close(self):
        sh("ip", "netns", "del", self.a, check=False)
        sh("ip", "netns", "del", self.b, check=False)


def one_run(net, trawl, replay, pcap, method, pps, packets):
    cap = subprocess.Popen(
        ["ip", "netns", "exec", net.a, trawl, "capture", "--dryrun", "-i", net.va,
         "-o", "pcapReadMethod=" + method, "-o", "packetThreads=2", "-o", "tpacketv3NumThreads=2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, RUST_LOG="info"))
    time.sleep(1.5)
    out = sh("ip", "netns", "exec", net.b, replay, pcap, net.vb, str(pps), str(packets)).stdout
    m = re.search(r"sent (\d+) packets .* = (\d+) pps", out)
    sent, achieved = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    time.sleep(1.0)
    cap.send_signal(signal.SIGINT)
    _, err = cap.communicate(timeout=120)
    m = re.search(r"(\d+) packets received, (\d+) dropped by the kernel, (\d+) dropped on full queues; "
                  r"processed (\d+) packets", err)
    if not m:
        sys.exit("no final line from the capture:\n" + err[-2000:])
    received, kdrop, qdrop, processed = map(int, m.groups())
    return dict(method=method, pps=pps, achieved=achieved, sent=sent, received=received,
                kernel_dropped=kdrop, queue_dropped=qdrop, processed=processed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", help="pcap to replay (default: make one with mkbench.py)")
    ap.add_argument("--mb", type=int, default=200, help="mkbench size when --pcap is not given")
    ap.add_argument("--packets", type=int, default=400000, help="packets sent per run")
    ap.add_argument("--rates", default="50000,100000,200000,300000,400000,600000,800000,0",
                    help="packets per second to try, 0 = top speed")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "trawl"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "trawl-readers", "--example", "replay"],
                   cwd=ROOT, check=True)
    trawl = os.path.join(ROOT, "target/release/trawl")
    replay = os.path.join(ROOT, "target/release/examples/replay")
    tmp = None
    pcap = args.pcap
    if not pcap:
        tmp = tempfile.mkdtemp()
        pcap = os.path.join(tmp, "bench.pcap")
        subprocess.run([sys.executable, os.path.join(SHARED, "bench/mkbench.py"), pcap, "--mb", str(args.mb)],
                       check=True)
    rates = [int(r) for r in args.rates.split(",")]
    net = Net()
    try:
        results = []
        for method in ("libpcap", "tpacketv3"):
            for pps in rates:
                r = one_run(net, trawl, replay, pcap, method, pps, args.packets)
                results.append(r)
                print("%-9s target %7s pps: sent %7d at %7d pps, received %7d, kernel drops %7d, "
                      "queue drops %7d, processed %7d" % (
                          method, pps or "max", r["sent"], r["achieved"], r["received"],
                          r["kernel_dropped"], r["queue_dropped"], r["processed"]), flush=True)
        print()
        for method in ("libpcap", "tpacketv3"):
            ok = [r for r in results if r["method"] == method and r["kernel_dropped"] == 0
                  and r["queue_dropped"] == 0 and r["received"] >= r["sent"]]
            best = max(ok, key=lambda r: r["achieved"], default=None)
            top = [r for r in results if r["method"] == method and r["pps"] == 0]
            print("%-9s highest rate with zero drops: %s pps; at top speed (%s pps sent): "
                  "%s kernel drops, %s queue drops" % (
                      method, best["achieved"] if best else "none",
                      top[0]["achieved"] if top else "-",
                      top[0]["kernel_dropped"] if top else "-",
                      top[0]["queue_dropped"] if top else "-"))
    finally:
        net.close()


if __name__ == "__main__":
    main()
