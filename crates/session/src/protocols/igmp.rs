//! IGMP (IP protocol 2): every IGMP packet goes into one session, as in Arkime's
//! `parsers/igmp.c`; nothing is parsed.

use trawl_packet::{DecodeTables, Packet, PacketMeta, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// The one IGMP session.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    super::single_session_id(m.mprotocol)
}

/// Names the session.
pub fn pre_process(cx: &mut Cx, s: &mut Session, _pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "igmp");
    }
    false
}

/// Registers the mprotocol and IP protocol 2.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables) {
    let mp = m.mprotocol_register(super::other_mprotocol(
        "igmp",
        create_session_id,
        pre_process,
    ));
    t.set_ip_cb(2, super::single_session_enqueue, u32::from(mp));
}
