#!/usr/bin/env python3
"""Seeds each parser fuzz target's corpus with real payloads: the TCP or UDP sessions
of Arkime's regression pcaps whose server port is the target's, written in the
harness's input format (fuzz/src/lib.rs: a length byte, low 7 bits with 0 meaning
128 and the high bit for the server's side, then that many bytes).

    fuzz_seeds.py PCAP_DIR FUZZ_TARGETS_DIR OUT_DIR

Only classic pcap files of Ethernet (with 802.1Q tags) or raw IP are read; others
are skipped. Prints how many seeds each target got."""

import os
import re
import struct
import sys

MAX_SEEDS = 16
MAX_SEED_BYTES = 4096


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8 : off + 12])[0]
        frame = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        yield linktype, frame


def ip_payload(linktype, frame):
    """(protocol, src, dst, l4 bytes) of an IPv4/IPv6 frame, or None."""
    if linktype == 1:
        et, p = struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0, 14
        while et in (0x8100, 0x88A8) and len(frame) >= p + 4:
            et = struct.unpack(">H", frame[p + 2 : p + 4])[0]
            p += 4
        if et not in (0x0800, 0x86DD):
            return None
        ip = frame[p:]
    elif linktype in (101, 228, 229, 12, 14):
        ip = frame
    else:
        return None
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None  # a fragment
        return ip[9], ip[12:16], ip[16:20], ip[hl:total]
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        plen = struct.unpack(">H", ip[4:6])[0]
        return ip[6], ip[8:24], ip[24:40], ip[40 : 40 + plen]
    return None


def sessions(path):
    """{(proto, server port, client key): [(from_server, payload)]} of a pcap."""
    out = {}
    for linktype, frame in packets(path):
        r = ip_payload(linktype, frame)
        if r is None:
            continue
        proto, src, dst, l4 = r
        if proto == 6 and len(l4) >= 20:
            data = l4[(l4[12] >> 4) * 4 :]
        elif proto == 17 and len(l4) >= 8:
            data = l4[8:]
        else:
            continue
        sport, dport = struct.unpack(">HH", l4[:4])
        if not data:
            continue
        # The lower port is taken as the server's.
        if dport <= sport:
            key, from_server = (proto, dport, src, sport), False
        else:
            key, from_server = (proto, sport, dst, dport), True
        out.setdefault(key, []).append((from_server, data))
    return out


def encode(chunks):
    out = bytearray()
    for from_server, data in chunks:
        for i in range(0, len(data), 128):
            piece = data[i : i + 128]
            out.append((len(piece) & 0x7F) | (0x80 if from_server else 0))
            out += piece
            if len(out) >= MAX_SEED_BYTES:
                return bytes(out)
    return bytes(out)


def main():
    pcap_dir, targets_dir, out_dir = sys.argv[1:4]
    targets = {}
    for name in sorted(os.listdir(targets_dir)):
        m = re.search(
            r"run\(Transport::(Tcp|Udp),\s*(\d+)",
            open(os.path.join(targets_dir, name)).read(),
        )
        if m:
            proto = 6 if m.group(1) == "Tcp" else 17
            targets.setdefault((proto, int(m.group(2))), []).append(name[:-3])
    seeds = {t: 0 for names in targets.values() for t in names}
    for pcap in sorted(os.listdir(pcap_dir)):
        if not pcap.endswith(".pcap"):
            continue
        for (proto, port, *_), chunks in sessions(os.path.join(pcap_dir, pcap)).items():
            for t in targets.get((proto, port), []):
                if seeds[t] >= MAX_SEEDS:
                    continue
                d = os.path.join(out_dir, t)
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"seed-{seeds[t]:02}"), "wb") as f:
                    f.write(encode(chunks))
                seeds[t] += 1
    for t, n in sorted(seeds.items()):
        print(f"{t}: {n} seeds")


if __name__ == "__main__":
    main()
