#!/usr/bin/env python3
"""Ranks the document keys that differ between trawl and Arkime across the regression
suite (a development aid; compare.py is the definition of identical).

    python3 tests/tools/diffkeys.py [--core] [--bin target/release/trawl] [NAME ...]
"""
import argparse, collections, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REG = os.path.join(os.path.dirname(ROOT), "shared", "arkime-regression")
sys.path.insert(0, REG)
import compare  # noqa: E402


def flat(o, p=""):
    out = {}
    if isinstance(o, dict):
        for k, v in o.items():
            out.update(flat(v, f"{p}.{k}" if p else k))
    else:
        out[p] = json.dumps(o, sort_keys=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--core", action="store_true")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "trawl"))
    ap.add_argument("--show", type=int, default=3, help="example pcaps per key")
    a = ap.parse_args()
    names = a.names or sorted(f[:-5] for f in os.listdir(os.path.join(REG, "pcap")) if f.endswith(".test"))
    bad = collections.Counter()
    where = collections.defaultdict(list)
    nsess = collections.Counter()
    for n in names:
        exp = compare.normalize(json.load(open(os.path.join(REG, "pcap", n + ".test"))), a.core)
        p = subprocess.run([a.bin, "capture", "-q", "--tests", "-c", "config.test.ini", "-n", "test", "-r", f"pcap/{n}.pcap"],
                           cwd=REG, capture_output=True)
        try:
            act = compare.normalize(json.loads(p.stdout), a.core)
        except Exception as e:
            bad["<no output>"] += 1
            where["<no output>"].append(n)
            continue
        e, g = exp["sessions3"], act["sessions3"]
        if len(e) != len(g):
            nsess[n] = (len(e), len(g))
        ek = {compare.session_key(s): s for s in e}
        gk = {compare.session_key(s): s for s in g}
        for k in set(ek) | set(gk):
            fe = flat(ek.get(k, {}))
            fg = flat(gk.get(k, {}))
            for key in set(fe) | set(fg):
                if fe.get(key) != fg.get(key):
                    kind = "missing" if key not in fg else ("extra" if key not in fe else "differs")
                    kk = f"{kind} {key.split('.')[0] if key.startswith('body.') is False else '.'.join(key.split('.')[1:3])}"
                    bad[kk] += 1
                    if n not in where[kk]:
                        where[kk].append(n)
    for k, c in bad.most_common(60):
        print(f"{c:5} {k:45} {' '.join(where[k][:a.show])}")
    print("session count differs:", dict(list(nsess.items())[:30]))


if __name__ == "__main__":
    main()
