//! OSPF (IP protocol 89): sessions per address pair.

use trawl_packet::{
    session_hash, DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig,
};

use crate::{Cx, Session};

/// Address pair with zero ports.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    super::icmp::create_session_id(t, b, m)
}

/// Enqueue without checks.
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    m.payload_offset = off.min(usize::from(u16::MAX)) as u16;
    m.payload_len = len as u32;
    m.session_id = create_session_id(&t.opts.tracking, b, m);
    if m.session_id.is_empty() {
        return PacketRc::Corrupt;
    }
    m.mprotocol = uw as u8;
    m.hash = session_hash(&m.session_id);
    PacketRc::DoProcess
}

/// Adds the protocol to a new session.
pub fn pre_process(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "ospf");
    }
    false
}
