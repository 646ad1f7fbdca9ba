//! LLDP (ethertype 0x88cc): every LLDP frame goes into one session, as in Arkime's
//! `parsers/lldp.c`; the TLVs are not parsed.

use trawl_packet::{DecodeTables, Packet, PacketMeta, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// LLDP's ethertype.
pub const ETHERTYPE_LLDP: u16 = 0x88cc;

/// The one LLDP session.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    super::single_session_id(m.mprotocol)
}

/// Names the session.
pub fn pre_process(cx: &mut Cx, s: &mut Session, _pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "lldp");
    }
    false
}

/// Registers the mprotocol and the ethertype.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables) {
    let mp = m.mprotocol_register(super::other_mprotocol(
        "lldp",
        create_session_id,
        pre_process,
    ));
    t.set_ethernet_cb(ETHERTYPE_LLDP, super::single_session_enqueue, u32::from(mp));
}
