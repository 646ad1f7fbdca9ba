#!/usr/bin/env python3
"""Synthetic captures that probe Arkime's behaviour on odd traffic (issue 17's list):
ARP variants (arp-*), TCP acknowledgements of segments never seen (tcp-*), and the
odd cases trawl once handled differently from Arkime (odd-*). Writes NAME.pcap into
tests/captures; their NAME.test files are what Arkime's own capture wrote for them."""
import os
import struct

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('>%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip4(src, dst, proto, payload):
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20+len(payload), 1, 0x4000, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack('>H', csum(h)) + h[12:]
    return h + payload
def tcp(src, dst, sp, dp, seq, ack, flags, data=b''):
    h = struct.pack('>HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff, 0x50, flags, 65535, 0, 0)
    ph = bytes(src) + bytes(dst) + struct.pack('>BBH', 0, 6, len(h)+len(data))
    c = csum(ph + h + data)
    return ip4(src, dst, 6, h[:16] + struct.pack('>H', c) + h[18:] + data)
def eth(p): return bytes.fromhex('020000000002020000000001') + b'\x08\x00' + p
def pcap(pkts):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(pkts):
        f = eth(p); out += struct.pack('<IIII', 1700000000, i*1000, len(f), len(f)) + f
    return out
def pcap_orig(frames, snap=65535):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snap, 1)
    t = 1700000000
    for i, (f, orig) in enumerate(frames):
        out += struct.pack('<IIII', t + i, 0, len(f), orig if orig else len(f)) + f
    return out


def arp_cases():
    A = bytes.fromhex('020000000001'); B = bytes.fromhex('ffffffffffff'); C=bytes.fromhex('020000000002')
    def arp(op, smac, sip, tmac, tip, htype=1, ptype=0x0800, hlen=6, plen=4):
        return struct.pack('>HHBBH', htype, ptype, hlen, plen, op) + smac + bytes(sip) + tmac + bytes(tip)
    req = arp(1, A, [10,0,0,1], b'\0'*6, [10,0,0,2])
    rep = arp(2, C, [10,0,0,2], A, [10,0,0,1])
    eth = lambda dst, src, p, et=0x0806: dst + src + struct.pack('>H', et) + p
    frames = {
     'plain': [(eth(B, A, req), 0), (eth(A, C, rep), 0)],
     'padded': [(eth(B, A, req) + b'\0'*18, 0), (eth(A, C, rep) + b'\xaa'*18, 0)],
     'short': [(eth(B, A, req[:20]), 0)],
     'htype6': [(eth(B, A, arp(1, A, [10,0,0,1], b'\0'*6, [10,0,0,2], htype=6)), 0)],
     'op3': [(eth(B, A, arp(3, A, [10,0,0,1], b'\0'*6, [10,0,0,2])), 0)],
     'ipv6-ptype': [(eth(B, A, arp(1, A, [10,0,0,1], b'\0'*6, [10,0,0,2], ptype=0x86dd)), 0)],
     'vlan': [(B + A + bytes.fromhex('8100000a0806') + req, 0)],
     'long-hlen': [(eth(B, A, arp(1, A + b'\0\0', [10,0,0,1], b'\0'*8, [10,0,0,2], hlen=8)), 0)],
     'frame-extra': [(eth(B, A, req) + b'EXTRA', 0)],
    }
    return {'arp-' + n: pcap_orig(fr) for n, fr in frames.items()}


def tcp_cases():
    C, S = [10,0,0,1], [10,0,0,2]
    SYN, ACK, PSH, FIN, RST = 2, 16, 8, 1, 4
    def conv(cisn, sisn, rest, handshake=True, synack=True):
        p = []
        if handshake:
            p.append(tcp(C, S, 40000, 80, cisn, 0, SYN))
            if synack: p.append(tcp(S, C, 80, 40000, sisn, cisn+1, SYN|ACK))
            p.append(tcp(C, S, 40000, 80, cisn+1, sisn+1, ACK))
        for (frm, seq, ack, fl, data) in rest:
            if frm == 'c': p.append(tcp(C, S, 40000, 80, cisn+1+seq, sisn+1+ack, fl, data))
            else: p.append(tcp(S, C, 80, 40000, sisn+1+seq, cisn+1+ack, fl, data))
        return p
    cases = {
     # server acks client bytes never seen
     'srv-acks-unseen': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('s',0,110,ACK,b'')]),
     # client acks server bytes never seen
     'cli-acks-unseen': conv(1000, 5000, [('s',0,0,ACK|PSH,b'b'*10), ('c',0,110,ACK,b'')]),
     # exactly one byte (FIN) unseen
     'one-byte': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('s',0,11,ACK,b'')]),
     # no SYN-ACK seen
     'no-synack': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('s',0,110,ACK,b'')], synack=False),
     # wrap
     'wrap': conv(0xfffffff0, 0xffffff00, [('c',0,0,ACK|PSH,b'a'*40), ('s',0,200,ACK,b''), ('c',40,200,ACK,b'x')]),
     # server sends data first then acks beyond
     'srv-data-then-ack': conv(1000, 5000, [('s',0,0,ACK|PSH,b'b'*10), ('s',10,500,ACK|PSH,b'c'*5), ('c',0,15,ACK,b'')]),
     # client data acked, then server acks unseen after FIN
     'fin': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('c',10,0,ACK|FIN,b''), ('s',0,12,ACK,b''), ('s',0,100,ACK|FIN,b'')]),
     # RST acking unseen
     'rst': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('s',0,300,ACK|RST,b'')]),
     # server acks before client data arrives (out of order)
     'ooo': conv(1000, 5000, [('s',0,10,ACK,b''), ('c',0,0,ACK|PSH,b'a'*10)]),
     # no handshake at all
     'midstream': conv(1000, 5000, [('c',0,0,ACK|PSH,b'a'*10), ('s',0,110,ACK,b'')], handshake=False),
    }
    return {'tcp-' + n: pcap(p) for n, p in cases.items()}


def odd_cases():
    C, S = [10, 0, 0, 1], [10, 0, 0, 2]
    def udp(sp, dp, data, src=None, dst=None):
        return struct.pack('>HHHH', sp, dp, 8+len(data), 0) + data
    def ip6(src, dst, nxt, payload):
        return struct.pack('>IHBB', 0x60000000, len(payload), nxt, 64) + src + dst + payload
    def eth6(p): return bytes.fromhex('020000000002020000000001') + b'\x86\xdd' + p
    def pcap_frames(frames):
        out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        for i, f in enumerate(frames):
            out += struct.pack('<IIII', 1700000000, i*1000, len(f), len(f)) + f
        return out
    SYN, ACK, PSH, FIN = 2, 16, 8, 1
    def ssh_conv():
        p = [tcp(C,S,40000,22,1000,0,SYN), tcp(S,C,22,40000,5000,1001,SYN|ACK), tcp(C,S,40000,22,1001,5001,ACK)]
        sv = b'SSH-2.0-OpenSSH_8.9\0\0\0\r\n'; cv = b'SSH-2.0-PuTTY_0.78\r\n'
        p += [tcp(S,C,22,40000,5001,1001,ACK|PSH,sv), tcp(C,S,40000,22,1001,5001+len(sv),ACK|PSH,cv)]
        return [eth(x) for x in p]
    cases = {}
    cases['odd-ssh-nul'] = pcap_frames(ssh_conv())
    big = eth(ip4(C, S, 17, udp(5000, 6000, b'a' * (65535 - 14 - 20 - 8))))
    assert len(big) == 65535
    cases['odd-packetlen-65535'] = pcap_frames([big])
    m1 = bytes(10) + b'\xff\xff' + bytes(C); m2 = bytes(10) + b'\xff\xff' + bytes(S)
    cases['odd-ipv6-mapped'] = pcap_frames([eth6(ip6(m1, m2, 17, udp(5000, 6000, b'hello')))])
    a6 = bytes.fromhex('20010db8000000000000000000000001'); b6 = bytes.fromhex('20010db8000000000000000000000002')
    dgram = udp(3000, 4000, b'\x5a' * 40)
    def frag(off, more, data): return struct.pack('>BBHI', 17, 0, (off << 3) | more, 9) + data
    cases['odd-ipv6-frag'] = pcap_frames([eth6(ip6(a6, b6, 44, frag(0, 1, dgram[:16]))), eth6(ip6(a6, b6, 44, frag(2, 0, dgram[16:])))])
    bad = bytearray(tcp(C, S, 1234, 80, 1, 0, SYN)); bad[20 + 12] = 0x40
    cases['odd-corrupt-tcp'] = pcap_frames([eth(bytes(bad))])
    # pcapng, one packet at 5,000,000,000 s
    def blk(t, body):
        pad = (4 - len(body) % 4) % 4; l = 12 + len(body) + pad
        return struct.pack('<II', t, l) + body + b'\0'*pad + struct.pack('<I', l)
    ng = blk(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1)) + blk(1, struct.pack('<HHI', 1, 0, 65535))
    f = eth(ip4(C, S, 17, udp(5000, 6000, b'x'))); ts = 5_000_000_000 * 1_000_000 + 250_000
    ng += blk(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(f), len(f)) + f)
    cases['odd-pcapng-2128'] = ng
    return cases


if __name__ == '__main__':
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    for n, b in {**arp_cases(), **tcp_cases(), **odd_cases()}.items():
        with open(os.path.join(out, n + '.pcap'), 'wb') as f:
            f.write(b)
