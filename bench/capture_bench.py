#!/usr/bin/env python3
"""Capture benchmark: `trawl capture --dryrun` over mkbench.py's deterministic pcap.

Prints packets/s, MB/s, CPU seconds and peak memory (max RSS) of each run, and the same
for Arkime's capture when --arkime names its binary. Run from the repository root:

    python3 bench/capture_bench.py --mb 1000                 # minimal config
    python3 bench/capture_bench.py --mb 1000 --regression    # Arkime's regression config
    python3 bench/capture_bench.py --mb 1000 --arkime /path/to/capture

Figures are only comparable within one run on one machine; report ratios.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
REGRESSION = os.path.join(SHARED, "arkime-regression")


def run(cmd, cwd=None):
    """Runs cmd; returns (wall s, cpu s, peak rss MiB, stderr)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        err.seek(0)
        text = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{text[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--pcap", help="benchmark pcap (default /tmp/trawl-bench-<mb>.pcap, made if missing)")
    ap.add_argument("--regression", action="store_true", help="use Arkime's config.test.ini (packetThreads=2)")
    ap.add_argument("--trawl", default=os.path.join(ROOT, "target", "release", "trawl"))
    ap.add_argument("--arkime", help="Arkime capture binary to run on the same pcap and config")
    args = ap.parse_args()

    pcap = os.path.abspath(args.pcap or f"/tmp/trawl-bench-{args.mb}.pcap")
    if not os.path.exists(pcap):
        print(f"writing {pcap} ({args.mb} MB) ...", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "mkbench.py"), pcap, "--mb", str(args.mb)], check=True)
    if not os.path.exists(args.trawl):
        subprocess.run(["cargo", "build", "--release", "-p", "trawl"], cwd=ROOT, check=True)
    size_mb = os.path.getsize(pcap) / 1e6

    if args.regression:
        cfg, cwd, node = "config.test.ini", REGRESSION, "test"
    else:
        cfg_dir = tempfile.mkdtemp(prefix="trawl-bench-")
        cfg = os.path.join(cfg_dir, "config.ini")
        with open(cfg, "w") as f:
            f.write("[default]\npcapDir=/tmp\n")
        cwd, node = None, "bench"

    rows = []
    wall, cpu, rss, err = run([args.trawl, "capture", "--dryrun", "-c", cfg, "-n", node, "-r", pcap], cwd=cwd)
    m = re.search(r"read \d+ files, (\d+) packets", err)
    packets = int(m.group(1)) if m else 0
    rows.append(("trawl", wall, cpu, rss))
    if args.arkime:
        # Arkime loads its parsers and plugins from its build tree; of the regression
        # config's plugins only those that need no outside service are kept.
        base = os.path.dirname(os.path.abspath(args.arkime))
        extra = ["-o", f"parsersDir={base}/parsers", "-o", f"pluginsDir={base}/plugins",
                 "-o", "plugins=scrubspi.so;zeekintel.so" if args.regression else "plugins="]
        wall, cpu, rss, _ = run([args.arkime, "--dryrun", "-c", cfg, "-n", node, "-r", pcap] + extra, cwd=cwd)
        rows.append(("arkime", wall, cpu, rss))

    print(f"pcap: {pcap} ({size_mb:.0f} MB, {packets} packets); config: {'regression' if args.regression else 'minimal'}")
    print(f"{'capture':8} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'packets/s':>12} {'MB/s':>8}")
    for name, wall, cpu, rss in rows:
        print(f"{name:8} {wall:8.2f} {cpu:8.2f} {rss:9.0f} {packets / wall:12.0f} {size_mb / wall:8.1f}")
    if len(rows) == 2:
        print(f"trawl/arkime: cpu {rows[0][2] / rows[1][2]:.2f}x, peak memory {rows[0][3] / rows[1][3]:.2f}x")


if __name__ == "__main__":
    main()
