//! SCTP (IP protocol 132): sessions per 5-tuple; DATA chunks are put back in TSN
//! order and whole messages (their first bytes, for payload8) delivered per
//! direction; chunk type 9 closes the session (Arkime's `parsers/sctp.c`).

use trawl_fields::{FieldRegistry, FieldType};
use trawl_packet::wire::{Ipv4Header, Ipv6Header};
use trawl_packet::{
    session_id4, session_id6, DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig,
};

use crate::parsers::{self, Transport};
use crate::{CoreSettings, Cx, Dir, MProtocol, MProtocols, Session, SessionType};

const FLAG_E: u8 = 0x01;
const FLAG_B: u8 = 0x02;
const FLAG_U: u8 = 0x04;

/// A DATA chunk waiting for its turn.
#[derive(Debug)]
struct Chunk {
    tsn: u32,
    /// Direction in bit 0, stream id above (Arkime's "which").
    which: u32,
    flags: u8,
    proto_id: u32,
    data: Vec<u8>,
}

/// Per-session SCTP state.
#[derive(Debug, Default)]
pub struct SctpState {
    tsn: [u32; 2],
    tsn_set: u8,
    stopped: bool,
    chunks: Vec<Chunk>,
}

/// Defines SCTP's fields.
pub fn define_fields(r: &mut FieldRegistry) {
    r.define(
        "sctp",
        "integer",
        "sctp.protoId",
        "Proto Id",
        "sctp.protoId",
        "SCTP protocol id",
        FieldType::IntGHash,
        0,
    );
}

fn ports(b: &[u8], m: &PacketMeta) -> Option<(u16, u16)> {
    let h = b.get(usize::from(m.payload_offset)..usize::from(m.payload_offset) + 4)?;
    Some((
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
    ))
}

/// The 5-tuple id.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    let Some((sp, dp)) = ports(b, m) else {
        return SessionId::default();
    };
    let ip = b.get(usize::from(m.ip_offset)..).unwrap_or(&[]);
    if m.v6 {
        Ipv6Header::new_checked(ip).map_or(SessionId::default(), |h| {
            session_id6(t, h.src_bytes(), sp, h.dst_bytes(), dp, m.vlan, m.vni)
        })
    } else {
        Ipv4Header::new_checked(ip).map_or(SessionId::default(), |h| {
            session_id4(t, h.src_bytes(), sp, h.dst_bytes(), dp, m.vlan, m.vni)
        })
    }
}

/// Enqueue: needs the 12-byte common header.
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    _off: usize,
    _len: usize,
    uw: u32,
) -> PacketRc {
    if m.payload_len < 12 {
        return PacketRc::Corrupt;
    }
    let id = create_session_id(&t.opts.tracking, b, m);
    super::claim(m, uw, id)
}

/// Ports, direction, data bytes.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    let Some((sp, dp)) = ports(pkt.bytes(), &pkt.meta) else {
        return false;
    };
    if is_new {
        s.port1 = sp;
        s.port2 = dp;
        cx.add_protocol(s, "sctp");
        s.sctp = Some(Box::default());
    }
    pkt.meta.direction = u8::from(!(super::same_addrs(s, pkt) && s.port1 == sp && s.port2 == dp));
    s.flows[Dir::from_bit(pkt.meta.direction)].databytes +=
        u64::from(pkt.meta.payload_len.saturating_sub(12));
    false
}

fn tsn_diff(a: u32, b: u32) -> i64 {
    super::tcp::seq_diff(a, b)
}

fn send(cx: &mut Cx, s: &mut Session, data: &[u8], proto_id: u32, which: u32) {
    let dir = dir_of(which);
    if s.flows[dir].first_bytes_len == 0 {
        s.flows[dir].add_first_bytes(data);
        let f = &cx.shared.fields;
        if let Some(id) = f.by_expression("sctp.protoId") {
            s.fields.int_add(f, id, proto_id);
        }
        parsers::classify(cx, s, data, dir, Transport::Sctp(proto_id));
    }
    parsers::process_data(cx, s, data, dir);
}

fn add_chunk(st: &mut SctpState, c: Chunk) {
    let mut at = st.chunks.len();
    for (i, f) in st.chunks.iter().enumerate() {
        if c.tsn == f.tsn && c.which == f.which {
            return;
        }
        if tsn_diff(c.tsn, f.tsn) > 0 {
            at = i;
            break;
        }
    }
    st.chunks.insert(at, c);
}

/// The direction of a packed "which" (its bit 0).
fn dir_of(which: u32) -> Dir {
    Dir::from_bit(which as u8)
}

fn maybe_send(cx: &mut Cx, s: &mut Session, which: u32) {
    let dir = dir_of(which);
    let Some(st) = s.sctp.as_deref_mut() else {
        return;
    };
    for c in &st.chunks {
        if dir_of(c.which) != dir {
            continue;
        }
        if c.tsn == st.tsn[dir] {
            st.tsn[dir] = st.tsn[dir].wrapping_add(1);
        } else if tsn_diff(st.tsn[dir], c.tsn) > 0 {
            break;
        }
    }
    loop {
        let Some(st) = s.sctp.as_deref_mut() else {
            return;
        };
        let mut first: Option<usize> = None;
        let mut complete = false;
        for (i, c) in st.chunks.iter().enumerate() {
            if dir_of(c.which) != dir {
                continue;
            }
            if tsn_diff(c.tsn, st.tsn[dir]) <= 0 {
                return;
            }
            match first {
                None => {
                    if c.flags & FLAG_B == 0 {
                        return;
                    }
                    first = Some(i);
                }
                Some(f) if c.which != st.chunks[f].which => continue,
                Some(_) => {}
            }
            if c.flags & FLAG_E != 0 {
                complete = true;
                break;
            }
        }
        let (Some(f), true) = (first, complete) else {
            return;
        };
        let (fwhich, proto) = (st.chunks[f].which, st.chunks[f].proto_id);
        let mut msg = Vec::new();
        let mut i = f;
        while i < st.chunks.len() {
            if st.chunks[i].which != fwhich {
                i += 1;
                continue;
            }
            let c = st.chunks.remove(i);
            msg.extend_from_slice(&c.data);
            if c.flags & FLAG_E != 0 {
                break;
            }
        }
        send(cx, s, &msg, proto, fwhich);
    }
}

/// Walks the chunks: DATA (ordered delivery), INIT/INIT ACK (initial TSNs), and
/// type 9 (close, as in Arkime).
pub fn process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    let max_ooo = cx.shared.settings.max_sctp_out_of_order;
    let dir = Dir::from_bit(pkt.meta.direction);
    let body = pkt.payload().get(12..).unwrap_or(&[]);
    if s.sctp.as_ref().is_none_or(|st| st.stopped) {
        return;
    }
    let mut o = 0usize;
    while body.len() >= o + 4 {
        let (ty, flags) = (body[o], body[o + 1]);
        let clen = usize::from(u16::from_be_bytes([body[o + 2], body[o + 3]]));
        if clen < 4 {
            return;
        }
        let Some(c) = body.get(o + 4..o + clen) else {
            return;
        };
        let pad = (4 - ((clen - 4) & 3)) & 3;
        if o + clen + pad > body.len() {
            return;
        }
        o += clen + pad;
        let u32_at = |i: usize| {
            c.get(i..i + 4)
                .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
        };
        match ty {
            0 => {
                let (Some(tsn), Some(stream), Some(proto)) = (
                    u32_at(0),
                    c.get(4..6).map(|x| u16::from_be_bytes([x[0], x[1]])),
                    u32_at(8),
                ) else {
                    continue;
                };
                let data = c.get(12..).unwrap_or(&[]);
                let which = dir.index() as u32 | u32::from(stream) << 8;
                let Some(st) = s.sctp.as_deref_mut() else {
                    return;
                };
                if st.tsn_set & dir.bit() == 0 {
                    st.tsn[dir] = tsn;
                    st.tsn_set |= dir.bit();
                }
                let chunk = Chunk {
                    tsn,
                    which,
                    flags,
                    proto_id: proto,
                    data: data.to_vec(),
                };
                if tsn == st.tsn[dir] {
                    st.tsn[dir] = st.tsn[dir].wrapping_add(1);
                    if flags & FLAG_U != 0 || flags & (FLAG_B | FLAG_E) == FLAG_B | FLAG_E {
                        send(cx, s, data, proto, which);
                    } else {
                        if st.chunks.len() > max_ooo {
                            st.stopped = true;
                            cx.add_tag(s, "incomplete-sctp");
                            return;
                        }
                        add_chunk(st, chunk);
                    }
                    maybe_send(cx, s, which);
                } else if tsn_diff(tsn, st.tsn[dir]) > 0 {
                    // A duplicate of data already delivered.
                } else {
                    if st.chunks.len() > max_ooo {
                        st.stopped = true;
                        cx.add_tag(s, "incomplete-sctp");
                        return;
                    }
                    add_chunk(st, chunk);
                    maybe_send(cx, s, which);
                }
            }
            1 | 2 => {
                if let (Some(_tag), Some(tsn)) = (u32_at(0), u32_at(12)) {
                    if let Some(st) = s.sctp.as_deref_mut() {
                        st.tsn[dir] = tsn;
                        st.tsn_set |= dir.bit();
                    }
                }
            }
            // Arkime closes on chunk type 9 (its comment says SHUTDOWN COMPLETE, which
            // RFC 9260 numbers 14; 9 is ERROR). Kept as Arkime does it so sessions end
            // where its documents do.
            9 => cx.mark_for_close(s),
            _ => {}
        }
    }
}

/// Frees queued chunks.
pub fn free(_cx: &mut Cx, s: &mut Session) {
    s.sctp = None;
}

/// Registers the mprotocol, its field and IP protocol 132.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry, s: &CoreSettings) {
    define_fields(f);
    let mp = m.mprotocol_register(MProtocol {
        name: "sctp",
        ses: SessionType::Sctp,
        create_session_id,
        pre_process,
        process: Some(process),
        free: Some(free),
        mid_save: None,
        timeout: s.sctp_timeout,
    });
    t.set_ip_cb(132, enqueue, u32::from(mp));
}
