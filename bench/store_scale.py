#!/usr/bin/env python3
"""Store-scale benchmark (issue 18): stores of 1M, 10M, 30M sessions.

Captures mkbench.py's pcap (--template-mb, default 200 MB, seed 1) into a template
store, then, for each size N, has the store_scale example build WORK/store-N from the
template's documents rewritten with the spread of real traffic (Zipf-skewed addresses,
ports, hosts, URIs, JA3/JA4, tags; times over 7 daily partitions ending 2026-11-30
UTC), and reports:

  * indexing: documents per second (wall of the writer only, generation excluded) and
    per CPU second of the generator process; bytes per session of sessions/ on disk;
    peak RSS of the generator (VmHWM: includes one 25k-document chunk of bodies and
    the template documents);
  * `trawl serve` on the store: p50 and p99 of --runs requests after one warm-up of ten
    typical searches (/api/sessions, 100 rows), the SPI view (top 10 of 5 fields),
    connections (source.ip -> ip.dst:port) and the sessions-over-time histogram
    (facets=1); with 20 runs p99 is the slowest run (nearest rank), with fewer it is
    the maximum too;
  * serve RSS: VmHWM of the serve process after all warm requests (it counts the
    store's mmapped file pages the queries read, so RssAnon and RssFile at that moment
    are given too);
  * cold first query: for each query kind, serve is stopped, the store's files are
    evicted from the page cache (posix_fadvise DONTNEED on every file of the data
    dir; as root also /proc/sys/vm/drop_caches unless --no-drop-caches), serve is
    started again and the first request timed once (--cold first: only the first
    search and the SPI view).

Targets of the issue are printed beside the figures: search p99 <= 300 ms warm and
<= 2 s cold; SPI view and connections <= 2 s; serve RSS <= 1 GiB; indexing >= 50,000
documents per CPU second. Results go to WORK/results.json (this run's sizes).

    cargo build --release -p trawl && cargo build --release -p trawl-store --example store_scale
    python3 bench/store_scale.py --sizes 1000000,10000000,30000000 --work /data/scale
    python3 bench/store_scale.py --sizes 1000000 --work /data/scale --reuse   # keep stores

Needs about 700 bytes of disk per session (30M: about 21 GB) under WORK.
Figures are only comparable within one run on one machine; report ratios.
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
BIN = os.environ.get("TRAWL_BIN", os.path.join(ROOT, "target", "release", "trawl"))
GEN = os.path.join(ROOT, "target", "release", "examples", "store_scale")

SEARCH_P99 = 0.3
SEARCH_COLD = 2.0
AGG_TARGET = 2.0
SERVE_RSS_KB = 1 << 20
DOCS_PER_CPU = 50_000

SPI = "destination.port:10,protocol:10,source.ip:10,destination.ip:10,http.host:10"
AGGS = [
    ("SPI view", f"/api/spiview?date=-1&spi={SPI}", AGG_TARGET),
    ("connections", "/api/connections?date=-1&srcField=source.ip&dstField=ip.dst:port", AGG_TARGET),
    ("histogram", "/api/sessions?date=-1&length=1&facets=1", None),
]


def searches(pools):
    """The ten searches of bench/store_bench.py, on values the generated store holds
    (hot: the pool's most frequent value; rare: one from its tail)."""
    def pick(pool, which, default):
        return (pools.get(pool) or {}).get(which) or default

    return [
        "ip.src == 10.0.0.0/8",
        f"ip.dst == {pick('dst_ip', 'hot', '10.1.2.3')}",
        "port.dst == 443",
        "port.dst == 1000-2000",
        "protocols == udp",
        f"host.http == {pick('http_host', 'rare', 'nope.example.com')}",
        "ip.src == 10.1.0.0/16 && port.src == 40000-50000",
        f"tags == {pick('tags', 'rare', 'nope')}",
        "packets.src > 10",
        "host.http == *.example.com || port.dst == 53",
    ]


def search_path(expr):
    return "/api/sessions?date=-1&length=100&expression=" + urllib.parse.quote(expr, safe="")


def run(cmd, **kw):
    r = subprocess.run(cmd, **kw)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}")
    return r


def ensure_built():
    for path, cmd in [
        (BIN, ["cargo", "build", "--release", "-p", "trawl"]),
        (GEN, ["cargo", "build", "--release", "-p", "trawl-store", "--example", "store_scale"]),
    ]:
        if not os.access(path, os.X_OK):
            print(f"building: {' '.join(cmd)}", file=sys.stderr)
            run(cmd, cwd=ROOT)


def template_store(work, mb):
    data = os.path.join(work, "template")
    if os.path.isdir(os.path.join(data, "sessions")):
        return data
    pcap = os.path.join(work, "template.pcap")
    run([sys.executable, os.path.join(SHARED, "bench", "mkbench.py"), pcap, "--mb", str(mb), "--seed", "1"],
        stdout=subprocess.DEVNULL)
    run([BIN, "capture", "-q", "-r", pcap, "-o", f"dataDir={data}"])
    return data


def optimize(data):
    """`trawl db optimize` of a store just generated (the writer merged the partitions
    it closed on the way, if it could; the newest and those left are merged here), with
    its wall time and peak memory: RssAnon (its own) and RssFile (the mapped segments
    it read, page cache) sampled every 100 ms."""
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "db", "optimize", "-o", f"dataDir={data}"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    anon = rss_file = 0
    while p.poll() is None:
        anon = max(anon, status_kb(p.pid, "RssAnon:") or 0)
        rss_file = max(rss_file, status_kb(p.pid, "RssFile:") or 0)
        time.sleep(0.1)
    out = p.stdout.read()
    res = {"s": time.monotonic() - t0, "rss_anon_kb": anon, "rss_file_kb": rss_file,
           "summary": out.strip().splitlines()[-1:]}
    print(f"  optimize: {res['s']:.0f} s, peak RssAnon {anon // 1024} MB, RssFile {rss_file // 1024} MB; "
          f"{res['summary']}", file=sys.stderr)
    return res


def db_info(data):
    out = run([BIN, "db", "info", "-o", f"dataDir={data}"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+) partitions?, (\d+) documents", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def generate(template, out, n, seed, days, extra=()):
    cmd = [GEN, "--template", template, "--out", out, "--sessions", str(n), "--seed", str(seed), "--days", str(days),
           *extra]
    print(f"  {' '.join(cmd)}", file=sys.stderr)
    # Its peak RSS (VmHWM) counts the mapped segments its merges read (page cache):
    # its own memory (RssAnon) is sampled apart.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    anon = [0]

    def sample():
        while p.poll() is None:
            anon[0] = max(anon[0], status_kb(p.pid, "RssAnon:") or 0)
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    stdout = p.stdout.read()
    p.wait()
    t.join()
    if p.returncode != 0:
        sys.exit(f"store_scale failed ({p.returncode})")
    line = [l for l in stdout.splitlines() if l.startswith("RESULT ")][-1]
    res = json.loads(line[len("RESULT "):])
    res["peak_rss_anon_kb"] = anon[0]
    with open(os.path.join(out, "scale-result.json"), "w") as f:
        json.dump(res, f)
    return res


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for l in f:
                if l.startswith(key):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


def evict(data, drop_caches):
    """Drops the store's pages from the page cache: written back first (clean pages
    only are dropped), then posix_fadvise DONTNEED on each file; as root also
    /proc/sys/vm/drop_caches. Returns how it was done."""
    files = 0
    for d, _, names in os.walk(data):
        for name in names:
            try:
                fd = os.open(os.path.join(d, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                files += 1
            except OSError:
                pass
            finally:
                os.close(fd)
    how = f"fadvise on {files} files"
    if drop_caches and os.geteuid() == 0:
        try:
            os.sync()
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("1\n")
            how += " + drop_caches"
        except OSError as e:
            how += f" (drop_caches failed: {e})"
    return how


class Serve:
    def __init__(self, data):
        t0 = time.perf_counter()
        self.p = subprocess.Popen([BIN, "serve", "-q", "-o", f"dataDir={data}", "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            sys.exit(f"trawl serve did not start: {line!r}")
        self.base = line.removeprefix("listening on ")
        self.startup_s = time.perf_counter() - t0

    def get(self, path, timeout=600):
        """(seconds, parsed JSON or None, error or None)."""
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
                body = r.read()
            dt = time.perf_counter() - t0
        except Exception as e:  # noqa: BLE001 - a failed or timed-out request is a result
            return time.perf_counter() - t0, None, f"{type(e).__name__}: {e}"
        try:
            return dt, json.loads(body), None
        except ValueError:
            return dt, None, None

    def stop(self):
        self.p.kill()
        self.p.wait()


def pct(times, q):
    s = sorted(times)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def describe(name, ans):
    """What the answer holds, so a query matching nothing is visible."""
    if not isinstance(ans, dict):
        return "-"
    if name == "connections":
        return f"{len(ans.get('nodes', []))} nodes, {len(ans.get('links', []))} links"
    if name == "SPI view":
        spi = ans.get("spi", {})
        return f"{ans.get('recordsFiltered')} matches, {sum(len(v.get('buckets', [])) for v in spi.values() if isinstance(v, dict))} buckets"
    if name == "histogram":
        g = ans.get("graph") or {}
        return f"{ans.get('recordsFiltered')} matches, {len(g.get('sessionsHisto', []))} buckets"
    return f"{ans.get('recordsFiltered')} matches"


def timed(srv, name, path, runs):
    t, ans, err = srv.get(path)
    r = {"path": path, "warmup_s": t, "answer": describe(name, ans)}
    if err:
        r["error"] = err
        print(f"    {name}: warm-up failed: {err}", file=sys.stderr)
        return r
    times, errors = [], []
    for _ in range(runs):
        t, _, err = srv.get(path)
        (errors.append(err) if err else times.append(t))
    if errors:
        r["errors"] = errors
    if times:
        r.update(p50_s=statistics.median(times), p99_s=pct(times, 0.99), runs=len(times))
    print(f"    {name:48.48} p50 {ms(r.get('p50_s'))} p99 {ms(r.get('p99_s'))}  {r['answer']}", file=sys.stderr)
    return r


def ms(s):
    return f"{s * 1000:8.1f} ms" if isinstance(s, (int, float)) else "       - "


def bench_size(n, a, template):
    out = os.path.join(a.work, f"store-{n}")
    print(f"\n== {n} sessions ({out})", file=sys.stderr)
    prev = os.path.join(out, "scale-result.json")
    if a.reuse and os.path.exists(prev):
        with open(prev) as f:
            gen = json.load(f)
        gen["reused"] = True
        print("  reusing the store built before", file=sys.stderr)
    else:
        shutil.rmtree(out, ignore_errors=True)
        gen = generate(template, out, n, a.seed, a.days)
        gen["optimize"] = optimize(out)
    parts, docs = db_info(out)
    res = {"sessions": n, "generate": gen, "partitions": parts, "documents": docs}
    with open(os.path.join(out, "scale-pools.json")) as f:
        pools = json.load(f)
    res["pools"] = pools

    # Warm.
    srv = Serve(out)
    try:
        res["serve_startup_s"] = srv.startup_s
        res["searches"] = [dict(expression=e, **timed(srv, e, search_path(e), a.runs)) for e in searches(pools)]
        res["aggregations"] = {name: timed(srv, name, path, a.runs) for name, path, _ in AGGS}
        res["serve_rss_kb"] = status_kb(srv.p.pid, "VmHWM:")
        res["serve_rss_now_kb"] = status_kb(srv.p.pid, "VmRSS:")
        # tantivy maps the store's files: RSS counts the mapped pages read (RssFile),
        # which is page cache, beside the process's own memory (RssAnon).
        res["serve_rss_anon_kb"] = status_kb(srv.p.pid, "RssAnon:")
        res["serve_rss_file_kb"] = status_kb(srv.p.pid, "RssFile:")
    finally:
        srv.stop()

    # Cold: a restart with the store evicted before each query kind.
    cold = [(e, search_path(e)) for e in searches(pools)] + [(name, path) for name, path, _ in AGGS]
    if a.cold == "first":
        cold = [cold[0], cold[len(searches(pools))]]
    res["cold"] = {}
    for name, path in cold:
        how = evict(out, not a.no_drop_caches)
        srv = Serve(out)
        try:
            t, ans, err = srv.get(path)
        finally:
            srv.stop()
        res["cold"][name] = {"first_s": t, "startup_s": srv.startup_s, "evicted": how, "answer": describe(name, ans)}
        if err:
            res["cold"][name]["error"] = err
        print(f"    cold {name:43.43} {ms(t)}  (serve started in {srv.startup_s * 1000:.0f} ms; {how})",
              file=sys.stderr)
    return res


def rows(r):
    """(label, value, target, ok) rows of one size's results."""
    g = r["generate"]
    out = [
        ("sessions (db info)", f"{r['documents']:,}", "", None),
        ("partitions", str(r["partitions"]), "7-8", None),
        ("indexing docs/s (wall)", f"{g['docs_per_s']:,.0f}", "", None),
        ("indexing docs/CPU-s", f"{g['docs_per_cpu_s']:,.0f}", f">= {DOCS_PER_CPU:,}", g["docs_per_cpu_s"] >= DOCS_PER_CPU),
        ("bytes/session (sessions/)", f"{g['bytes_per_session']:,.0f}", "", None),
        ("store size", f"{g['bytes'] / 1e9:.2f} GB", "", None),
        ("generator peak RSS (VmHWM) / peak RssAnon",
         f"{g['peak_rss_kb'] / 1024:,.0f} / {(g.get('peak_rss_anon_kb') or 0) / 1024:,.0f} MiB", "", None),
        ("optimize after generating: time, peak RssAnon / RssFile",
         f"{g['optimize']['s']:.0f} s, {g['optimize']['rss_anon_kb'] / 1024:,.0f} / "
         f"{g['optimize']['rss_file_kb'] / 1024:,.0f} MiB" if g.get("optimize") else "-", "", None),
        ("serve peak RSS (VmHWM)", f"{(r['serve_rss_kb'] or 0) / 1024:,.0f} MiB", "<= 1024 MiB",
         (r["serve_rss_kb"] or 0) <= SERVE_RSS_KB),
        ("serve RSS after the runs: anon / file-mapped",
         f"{(r.get('serve_rss_anon_kb') or 0) / 1024:,.0f} / {(r.get('serve_rss_file_kb') or 0) / 1024:,.0f} MiB", "", None),
        ("serve startup", ms(r["serve_startup_s"]).strip(), "", None),
    ]

    def pair(q):
        if "p50_s" not in q:
            return f"FAILED: {q.get('error') or q.get('errors')}"
        return f"{ms(q['p50_s']).strip()} / {ms(q['p99_s']).strip()}"

    for s in r["searches"]:
        ok = s.get("p99_s") is not None and s["p99_s"] <= SEARCH_P99
        out.append((f"search `{s['expression']}` p50/p99 ({s['answer']})", pair(s), "p99 <= 300 ms", ok))
    for name, _, target in AGGS:
        q = r["aggregations"][name]
        ok = None if target is None else (q.get("p99_s") is not None and q["p99_s"] <= target)
        out.append((f"{name} p50/p99 ({q['answer']})", pair(q), f"<= {target:.0f} s" if target else "", ok))
    for name, c in r["cold"].items():
        is_search = name not in [a[0] for a in AGGS]
        target = SEARCH_COLD if is_search else None
        val = f"FAILED: {c['error']}" if "error" in c else ms(c["first_s"]).strip()
        ok = None if target is None else ("error" not in c and c["first_s"] <= target)
        out.append((f"cold first {'search `' + name + '`' if is_search else name}", val,
                    f"<= {target:.0f} s" if target else "", ok))
    return out


def mark(ok):
    return "" if ok is None else ("ok" if ok else "MISSED")


def table(r, runs):
    lines = [f"\n### {r['sessions']:,} sessions\n", "| figure | value | target | |", "|---|---|---|---|"]
    for label, v, t, ok in rows(r):
        lines.append(f"| {label} | {v} | {t} | {mark(ok)} |")
    lines.append(f"\np50/p99 of {runs} warm requests after one warm-up"
                 f"{' (p99 = the slowest)' if runs <= 100 else ''}.")
    return "\n".join(lines)


def side_by_side(results):
    all_rows = [rows(r) for r in results]
    head = "| figure | " + " | ".join(f"{r['sessions']:,}" for r in results) + " | target |"
    lines = ["\n### All sizes\n", head, "|---|" + "---|" * (len(results) + 1)]
    for i, (label, _, target, _) in enumerate(all_rows[0]):
        vals = []
        for rs in all_rows:
            if i < len(rs):
                vals.append(f"{rs[i][1]} {'(MISSED)' if rs[i][3] is False else ''}".strip())
            else:
                vals.append("-")
        # Labels carry the first size's match counts; keep only the name here.
        lines.append(f"| {re.sub(r' [(][^)]*matches[^)]*[)]| [(][^)]*nodes[^)]*[)]', '', label)} | "
                     + " | ".join(vals) + f" | {target} |")
    return "\n".join(lines)


def retention_run(a, template):
    n, cap = a.retention.split(":")
    out = os.path.join(a.work, "retention")
    shutil.rmtree(out, ignore_errors=True)
    r = generate(template, out, int(n.replace("_", "")), a.seed, 2, ["--hourly", "--store-max-g", cap])
    k = r["retention"]
    ok = bool(k) and k["reached_cap_after_s"] is not None and k["max_of_cap"] <= 1.05 and k["min_of_cap"] >= 0.95
    print(f"retention by size: {r['sessions']} sessions, hourly partitions, cap {float(cap):g} GB; "
          f"{r['expired_partitions']} partitions deleted, {r['merged_on_close']} merged when closed, "
          f"at most {r['most_open']} open at once; reached the cap after {k['reached_cap_after_s'] or 0:.0f} s, "
          f"then {k['min_of_cap']:.3f}-{k['max_of_cap']:.3f} of it over {k['samples_after_full']} samples "
          f"{mark(ok)} (within 5%); indexing {r['docs_per_cpu_s']:.0f} documents per CPU second, "
          f"peak RSS {r['peak_rss_kb'] // 1024} MB (RssAnon {r['peak_rss_anon_kb'] // 1024} MB)")
    with open(os.path.join(a.work, "retention.json"), "w") as f:
        json.dump(r, f, indent=1)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000,30000000", help="comma-separated session counts")
    ap.add_argument("--work", default="/tmp/trawl-store-scale", help="working directory (stores, template, results)")
    ap.add_argument("--runs", type=int, default=20, help="timed warm requests of each query")
    ap.add_argument("--reuse", action="store_true", help="keep a store built before (WORK/store-N)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--template-mb", type=int, default=200)
    ap.add_argument("--cold", choices=["all", "first"], default="all",
                    help="cold restarts: before every query kind, or only the first search and the SPI view")
    ap.add_argument("--no-drop-caches", action="store_true", help="evict with posix_fadvise only, even as root")
    ap.add_argument("--retention", metavar="N:CAP_G",
                    help="instead of the sizes: the long run of retention by size, N sessions over 2 days of hourly "
                         "partitions into a store capped at CAP_G gigabytes (storeMaxG), its size sampled every 200 ms; "
                         "passes when it stays within 5%% of the cap once it reached it")
    a = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s]
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)
    ensure_built()
    template = template_store(a.work, a.template_mb)
    tparts, tdocs = db_info(template)
    print(f"template: {tdocs} sessions in {tparts} partition(s) ({template})", file=sys.stderr)

    if a.retention:
        sys.exit(retention_run(a, template))
    results = []
    for n in sizes:
        r = bench_size(n, a, template)
        results.append(r)
        print(table(r, a.runs), flush=True)
        with open(os.path.join(a.work, "results.json"), "w") as f:
            json.dump({"runs": a.runs, "seed": a.seed, "days": a.days, "template_sessions": tdocs,
                       "cpus": os.cpu_count(), "sizes": results}, f, indent=1)
    if len(results) > 1:
        print(side_by_side(results))
    print(f"\nresults: {os.path.join(a.work, 'results.json')}")


if __name__ == "__main__":
    main()
