//! TCP: flag counts, handshake tracking (SYN/SYN-ACK sequence numbers, validation,
//! ISN counts, initial RTT), and in-order delivery of each direction's bytes, keeping
//! out-of-order segments until the gap fills (Arkime's `parsers/tcp.c`).

mod reassembly;

pub use reassembly::{seq_diff, Queued, Reassembly, Segment};

use trawl_packet::wire::{tcp_flags::*, TcpHeader};
use trawl_packet::{Packet, PacketMeta, SessionId, TrackingConfig};

use crate::parsers::{self, Transport};
use crate::{Cx, Dir, Session};

/// Flag counter slots.
pub mod flag {
    /// SYN without ACK.
    pub const SYN: usize = 0;
    /// SYN with ACK.
    pub const SYN_ACK: usize = 1;
    /// Only ACK.
    pub const ACK: usize = 2;
    /// PSH.
    pub const PSH: usize = 3;
    /// RST.
    pub const RST: usize = 4;
    /// FIN.
    pub const FIN: usize = 5;
    /// URG.
    pub const URG: usize = 6;
    /// Zero window from the source.
    pub const SRC_ZERO: usize = 7;
    /// Zero window from the destination.
    pub const DST_ZERO: usize = 8;
    /// ECE.
    pub const ECE: usize = 9;
    /// CWR.
    pub const CWR: usize = 10;
    /// AE.
    pub const AE: usize = 11;
    /// Number of slots.
    pub const COUNT: usize = 12;
}

const STATE_FIN: u8 = 1;
const STATE_FIN_ACK: u8 = 2;

/// Per-session TCP state.
#[derive(Debug, Default)]
pub struct TcpState {
    /// Each direction's next expected sequence number and out-of-order segments.
    pub reasm: Reassembly,
    /// tcpseq.src / tcpseq.dst.
    pub syn_seq: [u32; 2],
    /// ISN of the first SYN seen per direction.
    pub syn_isn: [u32; 2],
    /// SYN-ACK ISN + 1 per direction.
    pub syn_ack_seq: [u32; 2],
    /// Bit per direction: a SYN was seen.
    pub syn_seen: u8,
    /// Bit per direction: a SYN-ACK was seen.
    pub syn_ack_seen: u8,
    /// Bit per direction: SYN validated.
    pub syn_validated: u8,
    /// Bit per direction: SYN-ACK validated.
    pub syn_ack_validated: u8,
    /// Distinct SYN ISNs from the source.
    pub src_isn_cnt: u32,
    /// Time of the first SYN, ms after the first packet + 1.
    pub syn_time: u32,
    /// Time of the first bare ACK, likewise.
    pub ack_time: u32,
    /// Flag counters (see [`flag`]).
    pub flag_cnt: [u32; flag::COUNT],
    state: [u8; 2],
    /// A SYN or SYN-ACK was seen.
    pub have_tcp_session: bool,
    syn_set: u8,
    stop_tcp: bool,
    acked_unseen: u8,
    out_of_order: u8,
    /// OR of all flags seen.
    pub flags_seen: u8,
}

fn header(pkt: &Packet) -> Option<TcpHeader<'_>> {
    pkt.bytes()
        .get(usize::from(pkt.meta.payload_offset)..)
        .and_then(TcpHeader::new_checked)
}

fn ms_since_first(s: &Session, pkt: &Packet) -> u32 {
    let d = (pkt.meta.ts_sec as i64).wrapping_sub(s.first_packet.sec as i64) * 1000
        + (i64::from(pkt.meta.ts_usec) - i64::from(s.first_packet.usec)) / 1000
        + 1;
    d as u32
}

/// Session id of a TCP packet (the IP decoders also build it).
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    super::tuple_session_id(t, b, m)
}

/// Direction, first-packet setup and port-reuse detection.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    let Some(h) = header(pkt) else { return false };
    let (flags, seq, sport, dport) = (h.flags(), h.seq(), h.src_port(), h.dst_port());

    if !is_new && flags & SYN != 0 && flags & ACK == 0 {
        if let Some(t) = s.tcp.as_deref_mut() {
            if seq != t.syn_seq[Dir::Src] {
                if t.flag_cnt[flag::RST] != 0 || t.flag_cnt[flag::FIN] != 0 {
                    return true;
                }
                if t.src_isn_cnt < 0xff {
                    t.src_isn_cnt += 1;
                }
            }
        }
    }

    if is_new {
        s.tcp = Some(Box::default());
        if flags & SYN != 0 && flags & ACK != 0 {
            std::mem::swap(&mut s.addr1, &mut s.addr2);
            s.port1 = dport;
            s.port2 = sport;
        } else {
            s.port1 = sport;
            s.port2 = dport;
        }
        cx.add_protocol(s, "tcp");
    }

    pkt.meta.direction =
        u8::from(!(super::same_addrs(s, pkt) && s.port1 == sport && s.port2 == dport));
    if let Some(t) = s.tcp.as_deref_mut() {
        t.flags_seen |= flags;
    }
    false
}

/// Counts flags, tracks the handshake, queues data for in-order delivery.
pub fn process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    packet_process(cx, s, pkt);
    finish(cx, s);
    // Segments still waiting for a gap to fill get their own copy of their bytes.
    if let Some(t) = s.tcp.as_deref_mut() {
        t.reasm.own();
    }
}

fn packet_process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    let Some(h) = header(&pkt) else { return };
    let dir = Dir::from_bit(pkt.meta.direction);
    let other = dir.other();
    let flags = h.flags();
    let seq = h.seq();
    let ack = h.ack();
    let len = i64::from(pkt.meta.payload_len) - h.header_len() as i64;
    let data_offset = u32::from(pkt.meta.payload_offset) + h.header_len() as u32;
    let (win, ae) = (h.window(), h.ae());
    let max_ooo = cx.shared.settings.max_tcp_out_of_order;
    let ms = ms_since_first(s, &pkt);

    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };
    if win == 0 && flags & RST == 0 {
        t.flag_cnt[flag::SRC_ZERO + dir.index()] += 1;
    }
    if len < 0 {
        return;
    }
    if flags & URG != 0 {
        t.flag_cnt[flag::URG] += 1;
    }
    if flags & ECE != 0 {
        t.flag_cnt[flag::ECE] += 1;
    }
    if flags & CWR != 0 {
        t.flag_cnt[flag::CWR] += 1;
    }
    if ae {
        t.flag_cnt[flag::AE] += 1;
    }
    cx.tcp_write_q_add(s);
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };

    if flags & SYN != 0 {
        if flags & ACK != 0 {
            t.flag_cnt[flag::SYN_ACK] += 1;
            if t.syn_ack_seen & dir.bit() == 0 {
                t.syn_ack_seq[dir] = seq.wrapping_add(1);
                t.syn_ack_seen |= dir.bit();
                if t.syn_seen & other.bit() != 0 && ack == t.syn_isn[other].wrapping_add(1) {
                    t.syn_validated |= other.bit();
                }
            }
            if !t.have_tcp_session {
                t.reasm.next[other] = ack;
                t.syn_seq[Dir::Dst] = seq;
                t.syn_seq[Dir::Src] = ack.wrapping_sub(1);
            }
        } else {
            t.flag_cnt[flag::SYN] += 1;
            if t.syn_seen & dir.bit() == 0 {
                t.syn_isn[dir] = seq;
                t.syn_seen |= dir.bit();
            }
            if t.syn_ack_seen & other.bit() != 0 && seq == t.syn_seq[Dir::Src] {
                t.syn_validated |= dir.bit();
            }
            if t.syn_time == 0 {
                t.syn_seq[Dir::Src] = seq;
                t.src_isn_cnt = 1;
                t.syn_time = ms;
                t.ack_time = 0;
            }
        }
        t.have_tcp_session = true;
        if t.syn_set & dir.bit() == 0 {
            t.reasm.next[dir] = seq.wrapping_add(1);
            t.syn_set |= dir.bit();
        }
        return;
    }

    if flags & RST != 0 {
        t.flag_cnt[flag::RST] += 1;
        let diff = seq_diff(seq, t.reasm.next[dir]);
        if diff <= 0 {
            if diff == 0 && !s.closing {
                cx.mark_for_close(s);
            }
            return;
        }
        t.state[dir] = STATE_FIN_ACK;
    }
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };

    if flags & FIN != 0 {
        t.flag_cnt[flag::FIN] += 1;
        t.state[dir] = STATE_FIN;
    }

    if flags & (FIN | RST | PSH | SYN | ACK) == ACK {
        t.flag_cnt[flag::ACK] += 1;
        if t.ack_time == 0 {
            t.ack_time = ms;
        }
    }

    if flags & PSH != 0 {
        t.flag_cnt[flag::PSH] += 1;
    }

    if flags & ACK != 0
        && flags & (SYN | RST) == 0
        && t.syn_ack_validated & dir.bit() == 0
        && t.syn_ack_seen & other.bit() != 0
    {
        let ack_ok =
            seq_diff(ack, t.syn_ack_seq[other]) <= 0 && seq_diff(ack, t.reasm.next[other]) >= 0;
        let seq_ok = t.syn_seen & dir.bit() == 0
            || (seq_diff(seq, t.syn_isn[dir].wrapping_add(1)) <= 0
                && seq_diff(seq, t.reasm.next[dir]) >= 0);
        if ack_ok && seq_ok {
            t.syn_ack_validated |= dir.bit();
        }
    }

    if t.stop_tcp {
        return;
    }

    if t.have_tcp_session && t.flag_cnt[flag::SYN_ACK] == 0 && t.reasm.next[dir] == 0 {
        t.reasm.next[dir] = seq;
        cx.add_tag(s, "no-syn-ack");
    }
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };

    if t.reasm.len() > max_ooo {
        t.reasm.clear();
        t.stop_tcp = true;
        cx.add_tag(s, "incomplete-tcp");
        return;
    }

    if flags & (ACK | RST) != 0 && t.state[other] == STATE_FIN {
        t.state[other] = STATE_FIN_ACK;
        if t.state[dir] == STATE_FIN_ACK {
            if !s.closing {
                cx.mark_for_close(s);
            }
            return;
        }
    }
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };

    if flags & ACK != 0
        && t.have_tcp_session
        && t.acked_unseen & dir.bit() == 0
        && t.reasm.next[other] != 0
        && seq_diff(t.reasm.next[other], ack) > 1
    {
        t.acked_unseen |= dir.bit();
        let tag = dir.pick("acked-unseen-segment-src", "acked-unseen-segment-dst");
        cx.add_tag(s, tag);
    }
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };

    if len <= 0 || flags & RST != 0 {
        return;
    }
    let len32 = len as u32;
    if t.have_tcp_session && seq_diff(t.reasm.next[dir], seq.wrapping_add(len32)) <= 0 {
        return;
    }

    let seg = Segment {
        pkt,
        seq,
        ack,
        len: len32,
        data_offset,
        dir,
    };
    let first = t.reasm.is_empty();
    if t.reasm.insert(seg) == Queued::Duplicate || first {
        return;
    }
    if t.have_tcp_session && t.out_of_order & dir.bit() == 0 {
        t.out_of_order |= dir.bit();
        let tag = dir.pick("out-of-order-src", "out-of-order-dst");
        cx.add_tag(s, tag);
    }
}

/// Delivers queued segments that are now in order.
fn finish(cx: &mut Cx, s: &mut Session) {
    let mut cursor = 0;
    loop {
        let Some(t) = s.tcp.as_deref_mut() else {
            return;
        };
        let Some((seg, off)) = t.reasm.next_ready(&mut cursor) else {
            return;
        };
        let dir = seg.dir;
        let n = seg.len as usize - off;
        let data = seg.data_from(off);
        let flow = &mut s.flows[dir];
        flow.add_first_bytes(data);
        if flow.total_databytes == flow.consumed {
            parsers::classify(cx, s, data, dir, Transport::Tcp);
        }
        parsers::process_data(cx, s, data, dir);
        if let Some(t) = s.tcp.as_deref_mut() {
            t.reasm.next[dir] = t.reasm.next[dir].wrapping_add(n as u32);
        }
        s.flows[dir].databytes += n as u64;
        s.flows[dir].total_databytes += n as u64;
        if cx.shared.yara_every_packet {
            parsers::yara(cx, s, data);
        }
    }
}

/// On the last save: a lone pushed segment still queued is handed to the parsers.
pub fn free(cx: &mut Cx, s: &mut Session) {
    let Some(t) = s.tcp.as_deref_mut() else {
        return;
    };
    let lone = t.reasm.len() == 1 && t.flag_cnt[flag::PSH] == 1;
    let queued = t.reasm.take_all();
    if lone {
        if let Some(seg) = queued.first() {
            let data = seg.data_from(0);
            let dir = seg.dir;
            parsers::classify(cx, s, data, dir, Transport::Tcp);
            parsers::process_data(cx, s, data, dir);
        }
    }
}

/// Resets per-segment handshake state after a mid-session save.
pub fn mid_save(s: &mut Session) {
    if let Some(t) = s.tcp.as_deref_mut() {
        t.ack_time = 0;
        t.syn_time = 0;
        t.syn_ack_seq = [0; 2];
        t.syn_seen = 0;
        t.syn_ack_seen = 0;
        t.syn_validated = 0;
        t.syn_ack_validated = 0;
        t.src_isn_cnt = 0;
        t.flag_cnt = [0; flag::COUNT];
    }
}
